"""Alerting rules: the inactive → pending → firing → resolved lifecycle.

Each evaluation runs the expression; every result sample is one alert whose
labels are the sample's (minus ``__name__``) plus the templated rule labels and
``alertname``. A new alert is *pending*; once it has been active for ``for``
it is *firing*. When its sample disappears a pending alert is dropped and a
firing one is *resolved* — unless ``keep_firing_for`` holds it firing that
much longer. Resolved alerts are remembered for 15 minutes so the notifier
can send the resolution. Once ``restored`` (after the for-state restore at
start-up) each evaluation also yields the ``ALERTS`` and ``ALERTS_FOR_STATE``
series, as upstream.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lab.model.labels import METRIC_NAME, Labels
from lab.server.promql.errors import PromQLError
from lab.server.promql.parser.ast import Expr
from lab.server.rules.errors import RuleEvalError
from lab.server.rules.rule import QueryFunc, RuleHealth, Sample
from lab.server.rules.templates import QuerySample, TemplateQuery, expand_alert

RESOLVED_RETENTION_MS = 15 * 60_000
ALERTS_METRIC = "ALERTS"
ALERTS_FOR_STATE_METRIC = "ALERTS_FOR_STATE"


class AlertState(enum.Enum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


@dataclass
class Alert:
    labels: Labels
    annotations: Labels
    state: AlertState
    active_at_ms: int
    value: float
    fired_at_ms: int | None = None
    resolved_at_ms: int | None = None
    last_sent_at_ms: int | None = None
    valid_until_ms: int = 0
    keep_firing_since_ms: int | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def needs_sending(self, ts_ms: int, resend_delay_ms: int) -> bool:
        if self.state is AlertState.PENDING:
            return False
        if self.resolved_at_ms is not None and (
            self.last_sent_at_ms is None or self.resolved_at_ms > self.last_sent_at_ms
        ):
            return True
        if self.last_sent_at_ms is None:
            return True
        return self.last_sent_at_ms + resend_delay_ms < ts_ms


def alert_series_labels(alert_labels: Labels, state: AlertState) -> Labels:
    d = dict(alert_labels)
    d[METRIC_NAME] = ALERTS_METRIC
    d["alertstate"] = state.value
    return Labels.from_pairs(d.items())


def for_state_labels(alert_labels: Labels) -> Labels:
    d = dict(alert_labels)
    d[METRIC_NAME] = ALERTS_FOR_STATE_METRIC
    return Labels.from_pairs(d.items())


def template_query(query: QueryFunc, ts_ms: int) -> TemplateQuery:
    """The ``query`` template function: an instant query at the evaluation time."""
    from lab.server.promql.parser.parser import parse

    def run(text: str) -> list[QuerySample]:
        try:
            vec = query(parse(text), ts_ms)
        except PromQLError as exc:
            from lab.server.rules.templates.funcs import FuncError

            raise FuncError(str(exc)) from None
        return [QuerySample(s.labels.to_dict(), s.value) for s in vec]

    return run


class AlertingRule:
    kind = "alert"

    def __init__(
        self,
        name: str,
        expr: Expr,
        expr_text: str,
        *,
        hold_ms: int = 0,
        keep_firing_for_ms: int = 0,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        external_labels: Mapping[str, str] | None = None,
        external_url: str = "",
    ) -> None:
        self.name = name
        self.expr = expr
        self.expr_text = expr_text
        self.hold_ms = hold_ms
        self.keep_firing_for_ms = keep_firing_for_ms
        self.labels = dict(labels or {})
        self.annotations = dict(annotations or {})
        self.external_labels = dict(external_labels or {})
        self.external_url = external_url
        self.active: dict[Labels, Alert] = {}
        self.restored = False
        self.health = RuleHealth.UNKNOWN
        self.last_error: str | None = None
        self.last_eval_ms: int | None = None
        self.last_duration_s = 0.0

    # -- templating ---------------------------------------------------------------------

    def expand(
        self, text: str, labels: dict[str, str], value: float, ts_ms: int, query: QueryFunc | None
    ) -> str:
        return expand_alert(
            self.name,
            text,
            labels=labels,
            value=value,
            external_labels=self.external_labels,
            external_url=self.external_url,
            query=template_query(query, ts_ms) if query is not None else None,
            now_s=ts_ms / 1000.0,
        )

    def alert_labels(
        self, series: Labels, value: float, ts_ms: int, query: QueryFunc | None
    ) -> Labels:
        tmpl_labels = series.to_dict()
        d = dict(series.without_name())
        for k, v in self.labels.items():
            d[k] = self.expand(v, tmpl_labels, value, ts_ms, query)
        d["alertname"] = self.name
        return Labels.from_pairs(d.items())

    def alert_annotations(
        self, series: Labels, value: float, ts_ms: int, query: QueryFunc | None
    ) -> Labels:
        tmpl_labels = series.to_dict()
        return Labels.from_pairs(
            (k, self.expand(v, tmpl_labels, value, ts_ms, query))
            for k, v in self.annotations.items()
        )

    # -- evaluation -----------------------------------------------------------------------

    def eval(self, ts_ms: int, query_offset_ms: int, query: QueryFunc, limit: int) -> list[Sample]:
        try:
            res = query(self.expr, ts_ms - query_offset_ms)
        except PromQLError as exc:
            raise RuleEvalError(str(exc)) from None
        seen: set[Labels] = set()
        for s in res:
            lbls = self.alert_labels(s.labels, s.value, ts_ms, query)
            if lbls in seen:
                raise RuleEvalError(
                    "vector contains metrics with the same labelset after applying alert labels"
                )
            seen.add(lbls)
            ann = self.alert_annotations(s.labels, s.value, ts_ms, query)
            current = self.active.get(lbls)
            if current is not None and current.state is not AlertState.INACTIVE:
                current.value = s.value
                current.annotations = ann
                continue
            self.active[lbls] = Alert(lbls, ann, AlertState.PENDING, ts_ms, s.value)
        return self.advance(ts_ms, seen, limit, ts_ms - query_offset_ms)

    def advance(self, ts_ms: int, seen: set[Labels], limit: int, sample_ts_ms: int) -> list[Sample]:
        """The state transitions after an evaluation returned the ``seen`` alerts."""
        out: list[Sample] = []
        active_count = 0
        for key, a in list(self.active.items()):
            if key not in seen:
                keep = False
                if a.state is AlertState.FIRING and self.keep_firing_for_ms > 0:
                    if a.keep_firing_since_ms is None:
                        a.keep_firing_since_ms = ts_ms
                    keep = ts_ms - a.keep_firing_since_ms < self.keep_firing_for_ms
                if a.state is AlertState.PENDING or (
                    a.resolved_at_ms is not None
                    and ts_ms - a.resolved_at_ms > RESOLVED_RETENTION_MS
                ):
                    del self.active[key]
                if a.state is not AlertState.INACTIVE and not keep:
                    a.state = AlertState.INACTIVE
                    a.resolved_at_ms = ts_ms
                if not keep:
                    continue
            else:
                a.keep_firing_since_ms = None
            active_count += 1
            if a.state is AlertState.PENDING and ts_ms - a.active_at_ms >= self.hold_ms:
                a.state = AlertState.FIRING
                a.fired_at_ms = ts_ms
            if self.restored:
                out.append(Sample(alert_series_labels(a.labels, a.state), sample_ts_ms, 1.0))
                out.append(
                    Sample(for_state_labels(a.labels), sample_ts_ms, float(a.active_at_ms // 1000))
                )
        if limit > 0 and active_count > limit:
            self.active = {}
            raise RuleEvalError(f"exceeded limit of {limit} with {active_count} alerts")
        return out

    # -- views ------------------------------------------------------------------------------

    def active_alerts(self) -> list[Alert]:
        """Pending and firing alerts (not the resolved ones kept for the notifier)."""
        return [a for a in self.active.values() if a.resolved_at_ms is None]

    def firing(self) -> list[Alert]:
        return [a for a in self.active.values() if a.state is AlertState.FIRING]

    def state(self) -> AlertState:
        states = {a.state for a in self.active_alerts()}
        if AlertState.FIRING in states:
            return AlertState.FIRING
        if AlertState.PENDING in states:
            return AlertState.PENDING
        return AlertState.INACTIVE

    def alerts_to_send(self, ts_ms: int, resend_delay_ms: int, interval_ms: int) -> list[Alert]:
        """Alerts due for (re)sending; marks them sent (Prometheus's sendAlerts)."""
        out: list[Alert] = []
        delta = max(resend_delay_ms, interval_ms)
        for a in self.active.values():
            if a.needs_sending(ts_ms, resend_delay_ms):
                a.last_sent_at_ms = ts_ms
                a.valid_until_ms = ts_ms + 4 * delta
                out.append(a)
        return out

    # -- restart ------------------------------------------------------------------------------

    def restore_for_state(
        self,
        ts_ms: int,
        last_for_state: Callable[[Labels], tuple[int, float] | None],
        grace_ms: int = 10 * 60_000,
    ) -> None:
        """Shift each active alert's ``active_at`` from the last ALERTS_FOR_STATE
        sample written before the restart (upstream's RestoreForState)."""
        if self.hold_ms < grace_ms:
            self.restored = True
            return
        for a in self.active.values():
            found = last_for_state(a.labels)
            if found is None:
                continue
            t_ms, v = found
            if math.isnan(v):
                continue
            down_at_ms = (t_ms // 1000) * 1000
            restored_ms = int(v) * 1000
            remaining = self.hold_ms - (down_at_ms - restored_ms)
            if remaining <= 0:
                pass
            elif remaining < grace_ms:
                restored_ms = ts_ms + grace_ms - self.hold_ms
            else:
                restored_ms += ts_ms - down_at_ms
            a.active_at_ms = restored_ms
        self.restored = True
