"""The rule manager: load rule files, evaluate groups on a clock, notify.

    manager = RuleManager(query=engine_query_func(engine, db), appendable=db,
                          queryable=db, notify=notifier.notify_func(url), clock=clock)
    manager.load(["rules/*.yml"])          # RuleFileError: nothing changes
    task = asyncio.create_task(manager.run())
    ...
    manager.load([...])                    # reload: unchanged rules keep their state
    await manager.stop()

Each group runs in its own task: it sleeps until its next aligned evaluation
time (``Group.eval_timestamp``), evaluates, and hands alerts due for sending
(firing, or resolved since last sent, re-sent every ``resend_delay``) to the
``NotifyFunc``. After a group's first evaluation the for-state of its alerts
is restored from ``ALERTS_FOR_STATE`` (upstream's RestoreForState).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from lab.clock import Clock
from lab.model.labels import METRIC_NAME, Labels
from lab.model.matcher import equal
from lab.model.value import STALE_NAN, is_stale
from lab.server.rules.alerting import ALERTS_FOR_STATE_METRIC, Alert, AlertingRule
from lab.server.rules.errors import RuleFileError
from lab.server.rules.group import Group, Rule
from lab.server.rules.rule import QueryFunc
from lab.server.rules.rulefile import GroupSpec, load_rule_file
from lab.server.storage.interface import Appendable, Queryable


@dataclass(frozen=True)
class OutgoingAlert:
    """An alert as sent to Alertmanager (Prometheus's notifier.Alert)."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at_ms: int
    ends_at_ms: int
    generator_url: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


#: ``NotifyFunc(alerts)``: hand alerts to delivery (must not block).
NotifyFunc = Callable[[Sequence[OutgoingAlert]], None]


def generator_url(external_url: str, expr: str) -> str:
    return (
        external_url.rstrip("/") + "/graph?g0.expr=" + urllib.parse.quote_plus(expr) + "&g0.tab=1"
    )


def to_outgoing(alert: Alert, expr: str, external_url: str) -> OutgoingAlert:
    ends = alert.resolved_at_ms if alert.resolved_at_ms is not None else alert.valid_until_ms
    return OutgoingAlert(
        labels=dict(alert.labels),
        annotations=dict(alert.annotations),
        starts_at_ms=alert.fired_at_ms if alert.fired_at_ms is not None else alert.active_at_ms,
        ends_at_ms=ends,
        generator_url=generator_url(external_url, expr),
    )


def _same_rule(a: Rule, b: Rule) -> bool:
    if a.kind != b.kind or a.name != b.name or a.expr_text != b.expr_text or a.labels != b.labels:
        return False
    if isinstance(a, AlertingRule) and isinstance(b, AlertingRule):
        return (a.hold_ms, a.keep_firing_for_ms, a.annotations) == (
            b.hold_ms, b.keep_firing_for_ms, b.annotations,
        )  # fmt: skip
    return True


class RuleManager:
    def __init__(
        self,
        *,
        query: QueryFunc,
        appendable: Appendable,
        clock: Clock,
        queryable: Queryable | None = None,
        notify: NotifyFunc | None = None,
        external_labels: Mapping[str, str] | None = None,
        external_url: str = "",
        default_interval_ms: int = 60_000,
        default_query_offset_ms: int = 0,
        resend_delay_ms: int = 60_000,
        outage_tolerance_ms: int = 3_600_000,
        for_grace_period_ms: int = 600_000,
    ) -> None:
        self.query = query
        self.appendable = appendable
        self.queryable = queryable
        self.clock = clock
        self.notify = notify
        self.external_labels = dict(external_labels or {})
        self.external_url = external_url
        self.default_interval_ms = default_interval_ms
        self.default_query_offset_ms = default_query_offset_ms
        self.resend_delay_ms = resend_delay_ms
        self.outage_tolerance_ms = outage_tolerance_ms
        self.for_grace_period_ms = for_grace_period_ms
        self.groups: list[Group] = []
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._running = False
        self._restore: set[tuple[str, str]] = set()
        self._stopped = asyncio.Event()

    # -- loading -------------------------------------------------------------------------

    def load(self, patterns: Sequence[str]) -> None:
        """(Re)load rule files; all-or-nothing. Unchanged rules keep their state
        (active alerts, stale-marker bookkeeping); removed groups' series are
        marked stale."""
        specs: list[GroupSpec] = []
        problems: list[str] = []
        for pattern in patterns:
            # as Prometheus: each entry is a glob; one matching nothing is no error
            for path in sorted(glob.glob(pattern)):
                try:
                    specs.extend(load_rule_file(path).groups)
                except RuleFileError as exc:
                    problems.extend(exc.problems)
        if problems:
            raise RuleFileError(problems)
        new = [
            Group.from_spec(
                s,
                default_interval_ms=self.default_interval_ms,
                default_query_offset_ms=self.default_query_offset_ms,
                external_labels=self.external_labels,
                external_url=self.external_url,
            )
            for s in specs
        ]
        old = {g.key: g for g in self.groups}
        for g in new:
            prev = old.pop(g.key, None)
            if prev is None:
                self._restore.add(g.key)
                continue
            _copy_state(prev, g)
        now = self.clock.now_ms()
        for gone in old.values():
            self._mark_stale(gone, now)
            task = self._tasks.pop(gone.key, None)
            if task is not None:
                task.cancel()
        self.groups = new
        if self._running:
            for g in new:
                task = self._tasks.get(g.key)
                if task is not None:
                    task.cancel()
                self._tasks[g.key] = asyncio.create_task(self._loop(g))

    def _mark_stale(self, group: Group, ts_ms: int) -> None:
        app = self.appendable.appender()
        for series in group.previous:
            for labels in series:
                app.append(labels, ts_ms, STALE_NAN)
        app.commit()

    # -- evaluation ------------------------------------------------------------------------

    def evaluate(self, group: Group, ts_ms: int) -> None:
        """One evaluation of ``group`` at ``ts_ms`` (what the loop does each tick)."""
        group.eval(ts_ms, self.query, self.appendable, on_alerts=self._send)
        if group.key in self._restore:
            self._restore.discard(group.key)
            self.restore_for_state(group, ts_ms)

    def _send(self, rule: AlertingRule, ts_ms: int) -> None:
        if self.notify is None:
            return
        group_interval = next(
            (g.interval_ms for g in self.groups if rule in g.rules), self.default_interval_ms
        )
        due = rule.alerts_to_send(ts_ms, self.resend_delay_ms, group_interval)
        if due:
            self.notify([to_outgoing(a, rule.expr_text, self.external_url) for a in due])

    def restore_for_state(self, group: Group, ts_ms: int) -> None:
        if self.queryable is None:
            for r in group.alerting_rules():
                r.restored = True
            return
        q = self.queryable.querier(ts_ms - self.outage_tolerance_ms, ts_ms)
        try:
            for rule in group.alerting_rules():
                found: dict[Labels, tuple[int, float]] = {}
                matchers = [
                    equal(METRIC_NAME, ALERTS_FOR_STATE_METRIC),
                    equal("alertname", rule.name),
                ]
                for s in q.select(matchers):
                    if s.timestamps.size:
                        v = float(s.values[-1])
                        found[s.labels.without_name()] = (
                            int(s.timestamps[-1]), float("nan") if is_stale(v) else v,
                        )  # fmt: skip
                rule.restore_for_state(ts_ms, found.get, self.for_grace_period_ms)
        finally:
            q.close()

    async def _loop(self, group: Group) -> None:
        next_ms = group.eval_timestamp(self.clock.now_ms()) + group.interval_ms
        while True:
            await self.clock.sleep_until(next_ms)
            self.evaluate(group, next_ms)
            now = self.clock.now_ms()
            next_ms += group.interval_ms
            if now >= next_ms:  # missed iterations are skipped, as upstream
                missed = (now - next_ms) // group.interval_ms + 1
                next_ms += missed * group.interval_ms

    async def run(self) -> None:
        """Start a task per group; returns when ``stop`` is called."""
        self._running = True
        self._stopped.clear()
        for g in self.groups:
            self._tasks[g.key] = asyncio.create_task(self._loop(g))
        try:
            await self._stopped.wait()
        finally:
            await self._cancel()

    async def stop(self) -> None:
        self._running = False
        self._stopped.set()
        await self._cancel()

    async def _cancel(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    # -- views -----------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        return [r for g in self.groups for r in g.rules]

    def alerts(self) -> list[tuple[AlertingRule, Alert]]:
        """Active (pending and firing) alerts, for ``/api/v1/alerts``."""
        return [(r, a) for g in self.groups for r in g.alerting_rules() for a in r.active_alerts()]


def _copy_state(old: Group, new: Group) -> None:
    for i, rule in enumerate(new.rules):
        for j, prev in enumerate(old.rules):
            if _same_rule(prev, rule):
                new.previous[i] = old.previous[j]
                rule.health, rule.last_error = prev.health, prev.last_error
                rule.last_eval_ms = prev.last_eval_ms
                if isinstance(rule, AlertingRule) and isinstance(prev, AlertingRule):
                    rule.active = prev.active
                    rule.restored = prev.restored
                break
