"""What every rule shares: the ``QueryFunc`` seam to the engine, health, and
the merge of group labels into rule labels."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

from lab.server.promql.engine import Engine, ScalarResult, VectorResult
from lab.server.promql.engine import Sample as Sample
from lab.server.promql.parser.ast import Expr
from lab.server.rules.errors import RuleEvalError
from lab.server.storage.interface import Queryable

#: ``QueryFunc(expr, t_ms) -> Vector``: an instant query (raises PromQLError).
QueryFunc = Callable[[Expr, int], list[Sample]]


class RuleHealth(enum.Enum):
    UNKNOWN = "unknown"
    OK = "ok"
    ERR = "err"


def engine_query_func(engine: Engine, queryable: Queryable) -> QueryFunc:
    """Prometheus's EngineQueryFunc: a scalar becomes a one-sample vector; any
    other non-vector result is an error."""

    def query(expr: Expr, t_ms: int) -> list[Sample]:
        value = engine.instant_query_expr(queryable, expr, t_ms).value
        if isinstance(value, VectorResult):
            return value.samples
        if isinstance(value, ScalarResult):
            from lab.model.labels import Labels

            return [Sample(Labels(), value.t_ms, value.value)]
        raise RuleEvalError("rule result is not a vector or scalar")

    return query


def merged_labels(group: Mapping[str, str], rule: Mapping[str, str]) -> dict[str, str]:
    """Group labels overridden by the rule's own (Prometheus 3.x)."""
    out = dict(group)
    out.update(rule)
    return out
