"""The alert lifecycle with injected time: a fake QueryFunc answers per
timestamp, so every transition is checked at an exact evaluation."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from lab.clock import VirtualClock
from lab.model.labels import Labels
from lab.server.promql.engine import Engine
from lab.server.promql.parser.parser import parse
from lab.server.rules.alerting import AlertingRule, AlertState
from lab.server.rules.errors import RuleEvalError
from lab.server.rules.manager import RuleManager
from lab.server.rules.rule import QueryFunc, Sample, engine_query_func
from lab.server.rules.unittest_vector import _state_machine
from lab.server.storage.memory import MemoryStorage

M = 60_000
SERIES = Labels.of(__name__="up", job="api", instance="a")


def present_at(*minutes: int) -> QueryFunc:
    def query(expr: object, t_ms: int) -> list[Sample]:
        return [Sample(SERIES, t_ms, 0.0)] if t_ms // M in minutes else []

    return query


def run(rule: AlertingRule, query: QueryFunc, minutes: range) -> list[str]:
    """The state of the one alert after each evaluation ('-' when none)."""
    out = []
    for m in minutes:
        rule.eval(m * M, 0, query, 0)
        active = [a for a in rule.active.values() if a.state is not AlertState.INACTIVE]
        out.append(active[0].state.value[0] if active else "-")
    return out


def rule(hold_m: int = 0, keep_m: int = 0, **kw: object) -> AlertingRule:
    return AlertingRule(
        "Down", parse("up == 0"), "up == 0", hold_ms=hold_m * M, keep_firing_for_ms=keep_m * M, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hold", "keep", "present", "want"),
    [
        # inactive -> pending -> firing -> resolved
        (2, 0, (1, 2, 3, 4), "-ppff--"),
        # for: 0 fires at once
        (0, 0, (1, 2), "-ff----"),
        # a gap while pending starts over
        (2, 0, (1, 2, 4, 5, 6), "-pp-ppf"),
        # keep_firing_for bridges a gap while firing ...
        (0, 2, (1, 3), "-fffff-"),
        # ... but only for keep_firing_for
        (0, 2, (1, 5), "-fff-ff"),
        # keep_firing_for does not hold a pending alert
        (2, 2, (1, 3, 4, 5), "-p-ppff"),
    ],
)
def test_lifecycle(hold: int, keep: int, present: tuple[int, ...], want: str) -> None:
    got = "".join(run(rule(hold, keep), present_at(*present), range(7)))
    assert got == want
    # the vectorised state machine agrees on the same presence
    p = np.array([m in present for m in range(7)])
    state = np.zeros(7, dtype=np.int8)
    active = np.zeros(7, dtype=np.int64)
    _state_machine(p, np.arange(7, dtype=np.int64) * M, hold * M, keep * M, state, active)
    assert "".join("-pf"[s] for s in state) == want


def test_labels_annotations_alerts_series_and_resolution() -> None:
    r = rule(
        1,
        labels={"severity": "page", "who": "{{ $labels.job }}"},
        annotations={"summary": "{{ $labels.instance }} at {{ $value }}"},
    )
    r.restored = True
    q = present_at(0, 1)
    out = r.eval(0, 0, q, 0)
    alert = next(iter(r.active.values()))
    assert alert.labels == Labels.of(
        alertname="Down", instance="a", job="api", severity="page", who="api"
    )
    assert dict(alert.annotations) == {"summary": "a at 0"}
    assert {str(s.labels.get("alertstate")) for s in out} == {"pending", ""}
    r.eval(M, 0, q, 0)
    assert alert.state is AlertState.FIRING and alert.fired_at_ms == M
    r.eval(2 * M, 0, q, 0)
    assert alert.state is AlertState.INACTIVE and alert.resolved_at_ms == 2 * M
    # resolved alerts are sent once more, then kept 15m and dropped
    assert alert.needs_sending(2 * M, M)
    r.eval(18 * M, 0, q, 0)
    assert not r.active


def test_limit() -> None:
    r = rule()
    two: QueryFunc = lambda e, t: [Sample(SERIES, t, 0), Sample(SERIES.set("x", "1"), t, 0)]  # noqa: E731
    r.eval(0, 0, two, 0)  # 0 means no limit
    with pytest.raises(RuleEvalError, match="exceeded limit of 1 with 2 alerts"):
        r.eval(M, 0, two, 1)
    assert not r.active  # upstream forgets all alerts of the rule


def test_for_state_restored_after_restart() -> None:
    r = rule(30)
    r.eval(100 * M, 0, present_at(100), 0)
    # before the restart the alert had been pending since minute 90; we were
    # down from minute 95 to 100, so 25 of the 30 minutes remain to wait
    r.restore_for_state(100 * M, lambda labels: (95 * M, 90 * 60.0))
    alert = next(iter(r.active.values()))
    assert alert.active_at_ms == (90 + 5) * M
    assert r.restored


def test_manager_on_virtual_clock_with_reload_keeping_state(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "r.yml"
    path.write_text(
        "groups:\n- name: g\n  interval: 1m\n  rules:\n"
        "  - alert: Down\n    expr: up == 0\n    for: 2m\n"
        "  - record: job:up:sum\n    expr: sum by (job) (up)\n"
    )
    storage = MemoryStorage()
    storage.add_series(SERIES, range(0, 30 * M, 15_000), [0.0] * 120)
    sent: list[object] = []
    clock = VirtualClock(0)
    mgr = RuleManager(
        query=engine_query_func(Engine(), storage),
        appendable=storage,
        queryable=storage,
        clock=clock,
        notify=sent.extend,
    )
    mgr.load([str(path)])
    group = mgr.groups[0]
    offset = group.eval_timestamp(10 * M) - 9 * M  # the group's phase in the minute

    async def scenario() -> None:
        task = asyncio.create_task(mgr.run())
        await clock.advance(M + offset + 1)  # first evaluation
        await clock.advance(4 * M)
        alert = mgr.alerts()[0][1]
        assert alert.state is AlertState.FIRING
        mgr.load([str(path)])  # unchanged: same alert object keeps its state
        assert mgr.alerts()[0][1] is alert
        await mgr.stop()
        await task

    asyncio.run(scenario())
    assert 0 <= offset < M
    assert sent and all(a.labels["alertname"] == "Down" for a in sent)  # type: ignore[attr-defined]
    recorded = storage.querier(0, 30 * M).select([])
    assert any(s.labels.name == "job:up:sum" for s in recorded)
    assert any(s.labels.name == "ALERTS" for s in recorded)


def test_manager_sends_firing_resends_after_delay_and_sends_resolution(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "r.yml"
    path.write_text("groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n")
    storage = MemoryStorage()
    storage.add_series(SERIES, range(0, 10 * M, 15_000), [0.0] * 40)  # data ends at 10m
    sent: list[list[object]] = []
    mgr = RuleManager(query=engine_query_func(Engine(), storage), appendable=storage,
                      clock=VirtualClock(0), notify=lambda a: sent.append(list(a)),
                      resend_delay_ms=2 * M, external_url="http://lab")  # fmt: skip
    mgr.load([str(path)])
    for minute in range(1, 17):
        mgr.evaluate(mgr.groups[0], minute * M)
    # sent at 1m, then every resend_delay (strictly more than 2m later): 4m, 7m, 10m ...
    times = [a.starts_at_ms for batch in sent for a in batch]  # type: ignore[attr-defined]
    assert times and all(t == M for t in times)
    assert len(sent) == 6  # 1m, 4m, 7m, 10m, 13m (firing) + the resolution
    last = sent[-1][0]
    # up's last sample (9m45s) leaves the 5m lookback at 14m45s: resolved at 15m
    assert last.ends_at_ms == 15 * M  # type: ignore[attr-defined]
    assert last.generator_url == "http://lab/graph?g0.expr=up+%3D%3D+0&g0.tab=1"  # type: ignore[attr-defined]
    firing = sent[0][0]
    assert firing.ends_at_ms == M + 4 * 2 * M  # type: ignore[attr-defined]  # valid for 4 resends
