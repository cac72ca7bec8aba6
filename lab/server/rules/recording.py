"""Recording rules: evaluate, rename to ``record``, apply labels, check."""

from __future__ import annotations

from collections.abc import Mapping

from lab.model.labels import METRIC_NAME, Labels
from lab.server.promql.errors import PromQLError
from lab.server.promql.parser.ast import Expr
from lab.server.rules.errors import RuleEvalError
from lab.server.rules.rule import QueryFunc, RuleHealth, Sample


def relabel_recorded(labels: Labels, name: str, extra: Mapping[str, str]) -> Labels:
    d = dict(labels)
    d[METRIC_NAME] = name
    d.update(extra)
    return Labels.from_pairs(d.items())


class RecordingRule:
    kind = "record"

    def __init__(self, name: str, expr: Expr, expr_text: str, labels: Mapping[str, str]) -> None:
        self.name = name
        self.expr = expr
        self.expr_text = expr_text
        self.labels = dict(labels)
        self.health = RuleHealth.UNKNOWN
        self.last_error: str | None = None
        self.last_eval_ms: int | None = None
        self.last_duration_s = 0.0

    def eval(self, ts_ms: int, query_offset_ms: int, query: QueryFunc, limit: int) -> list[Sample]:
        try:
            vector = query(self.expr, ts_ms - query_offset_ms)
        except PromQLError as exc:
            raise RuleEvalError(str(exc)) from None
        out = [
            Sample(relabel_recorded(s.labels, self.name, self.labels), s.t_ms, s.value)
            for s in vector
        ]
        if len({s.labels for s in out}) != len(out):
            raise RuleEvalError(
                "vector contains metrics with the same labelset after applying rule labels"
            )
        if limit > 0 and len(out) > limit:
            raise RuleEvalError(f"exceeded limit of {limit} with {len(out)} series")
        return out
