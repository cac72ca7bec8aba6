"""A rule group: its rules evaluated in order at ``interval``.

Evaluation timestamps are aligned as upstream: a group evaluates at
``base + offset`` where ``offset = hash(name, file) % interval`` (the XXH64
label hash of ``{file=..., name=...}``), so groups spread over the interval
and a restart keeps the same phase. Each rule's output is appended to the
``Appendable``; a series a rule returned last time but not this time gets a
staleness marker, as Prometheus writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lab.model.labels import Labels
from lab.model.value import STALE_NAN
from lab.server.promql.parser.parser import parse
from lab.server.promql.xxhash64 import labels_hash
from lab.server.rules.alerting import AlertingRule
from lab.server.rules.errors import RuleEvalError
from lab.server.rules.recording import RecordingRule
from lab.server.rules.rule import QueryFunc, RuleHealth, merged_labels
from lab.server.rules.rulefile import GroupSpec, RuleSpec
from lab.server.storage.interface import Appendable

Rule = AlertingRule | RecordingRule


@dataclass(frozen=True)
class RuleError:
    rule: Rule
    ts_ms: int
    message: str


def build_rule(
    spec: RuleSpec,
    group_labels: Mapping[str, str],
    external_labels: Mapping[str, str] | None = None,
    external_url: str = "",
) -> Rule:
    expr = parse(spec.expr)
    labels = merged_labels(group_labels, spec.labels)
    if spec.is_alert:
        return AlertingRule(
            spec.name,
            expr,
            spec.expr,
            hold_ms=spec.for_ms,
            keep_firing_for_ms=spec.keep_firing_for_ms,
            labels=labels,
            annotations=spec.annotations,
            external_labels=external_labels,
            external_url=external_url,
        )
    return RecordingRule(spec.name, expr, spec.expr, labels)


class Group:
    def __init__(
        self,
        name: str,
        file: str,
        rules: list[Rule],
        *,
        interval_ms: int,
        limit: int = 0,
        query_offset_ms: int = 0,
        specs: tuple[RuleSpec, ...] = (),
    ) -> None:
        self.name = name
        self.file = file
        self.rules = rules
        self.specs = specs
        self.interval_ms = interval_ms
        self.limit = limit
        self.query_offset_ms = query_offset_ms
        self.previous: list[set[Labels]] = [set() for _ in rules]
        self.last_eval_ms: int | None = None
        self.last_duration_s = 0.0

    @classmethod
    def from_spec(
        cls,
        spec: GroupSpec,
        *,
        default_interval_ms: int,
        default_query_offset_ms: int = 0,
        external_labels: Mapping[str, str] | None = None,
        external_url: str = "",
    ) -> Group:
        rules = [build_rule(r, spec.labels, external_labels, external_url) for r in spec.rules]
        return cls(
            spec.name,
            spec.file,
            rules,
            interval_ms=spec.interval_ms or default_interval_ms,
            limit=spec.limit,
            query_offset_ms=(
                spec.query_offset_ms
                if spec.query_offset_ms is not None
                else default_query_offset_ms
            ),
            specs=spec.rules,
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.name)

    def hash(self) -> int:
        return labels_hash(Labels.from_pairs([("name", self.name), ("file", self.file)]))

    def eval_timestamp(self, start_ms: int) -> int:
        """The first aligned evaluation time at or before ``start_ms`` (upstream's
        EvalTimestamp, in ms; the phase offset is computed in ns as upstream)."""
        interval_ns = self.interval_ms * 1_000_000
        offset_ns = self.hash() % interval_ns
        adj = start_ms * 1_000_000 - offset_ns
        base = adj - (adj % interval_ns)
        return (base + offset_ns) // 1_000_000

    def eval(
        self,
        ts_ms: int,
        query: QueryFunc,
        appendable: Appendable,
        on_alerts: Callable[[AlertingRule, int], None] | None = None,
    ) -> list[RuleError]:
        """Evaluate every rule at ``ts_ms``; return the rules that failed (their
        ``last_error`` is set too). A failing rule does not stop the group."""
        errors: list[RuleError] = []
        started = time.monotonic()
        for i, rule in enumerate(self.rules):
            t0 = time.monotonic()
            rule.last_eval_ms = ts_ms
            try:
                vector = rule.eval(ts_ms, self.query_offset_ms, query, self.limit)
            except RuleEvalError as exc:
                rule.health = RuleHealth.ERR
                rule.last_error = str(exc)
                errors.append(RuleError(rule, ts_ms, str(exc)))
                rule.last_duration_s = time.monotonic() - t0
                continue
            rule.health = RuleHealth.OK
            rule.last_error = None
            if on_alerts is not None and isinstance(rule, AlertingRule):
                on_alerts(rule, ts_ms)
            app = appendable.appender()
            returned: set[Labels] = set()
            for s in vector:
                app.append(s.labels, s.t_ms, s.value)
                returned.add(s.labels)
            stale_t = ts_ms - self.query_offset_ms
            for gone in self.previous[i] - returned:
                app.append(gone, stale_t, STALE_NAN)
            app.commit()
            self.previous[i] = returned
            rule.last_duration_s = time.monotonic() - t0
        self.last_eval_ms = ts_ms
        self.last_duration_s = time.monotonic() - started
        return errors

    def alerting_rules(self) -> list[AlertingRule]:
        return [r for r in self.rules if isinstance(r, AlertingRule)]
