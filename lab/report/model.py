"""What a report is made of, independent of how the replay was run.

``ReplayResult`` is the report's input: plain data plus a ``Queryable`` to
plot from. ``from_scenario_run`` builds one from ``lab.scenarios.validate``'s
``ScenarioRun`` (read structurally, through ``ScenarioRunLike``, so the
scenarios package can change without this module following), and any other
runner can fill a ``ReplayResult`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lab.server.storage.interface import Queryable


@dataclass(frozen=True, slots=True)
class FaultWindow:
    name: str
    target: str
    knob: str
    onset_ms: int
    #: when the fault is over; None: it lasts to the end of the replay
    end_ms: int | None


@dataclass(frozen=True, slots=True)
class AlertInterval:
    """One alert instance from pending to resolved."""

    alert: str
    labels: Mapping[str, str]
    pending_ms: int
    #: None: pending only, it never fired
    fired_ms: int | None
    #: None: still firing at the end of the replay
    resolved_ms: int | None

    def matches(self, alert: str, labels: Mapping[str, str]) -> bool:
        return self.alert == alert and all(self.labels.get(k) == v for k, v in labels.items())


@dataclass(frozen=True, slots=True)
class ExpectedAlert:
    """An alert (name + label subset) that must fire in ``[window_start_ms,
    window_end_ms]`` and, if ``resolve_by_ms`` is set, be resolved by then."""

    alert: str
    labels: Mapping[str, str]
    fault: str
    window_start_ms: int
    window_end_ms: int
    resolve_by_ms: int | None = None

    def title(self) -> str:
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.alert}{{{inner}}}" if inner else self.alert

    def outcome(self, alerts: Sequence[AlertInterval]) -> str:
        """``ok``, ``missed`` (no firing in the window) or ``late-resolve``."""
        hits = [
            a for a in alerts
            if a.matches(self.alert, self.labels) and a.fired_ms is not None
            and self.window_start_ms <= a.fired_ms <= self.window_end_ms
        ]  # fmt: skip
        if not hits:
            return "missed"
        if self.resolve_by_ms is not None and any(
            a.resolved_ms is None or a.resolved_ms > self.resolve_by_ms for a in hits
        ):
            return "late-resolve"
        return "ok"


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    what: str
    detail: str


@dataclass(frozen=True)
class ReplayResult:
    name: str
    description: str
    start_ms: int
    end_ms: int
    scrape_interval_ms: int
    queryable: Queryable
    faults: Sequence[FaultWindow] = ()
    alerts: Sequence[AlertInterval] = ()
    expectations: Sequence[ExpectedAlert] = ()
    #: the quiet window at the start (no alert may fire before it ends)
    baseline_end_ms: int | None = None
    #: the runner's own verdicts, shown as they are
    verdicts: Sequence[Verdict] = field(default_factory=tuple)


class EpisodeLike(Protocol):
    @property
    def alert(self) -> str: ...
    @property
    def labels(self) -> Any: ...  # Labels or a mapping
    @property
    def active_ms(self) -> int: ...
    @property
    def fired_ms(self) -> int: ...
    @property
    def resolved_ms(self) -> int | None: ...


class ScenarioRunLike(Protocol):
    """``lab.scenarios.validate.ScenarioRun``'s shape, as far as reports go."""

    @property
    def scenario(self) -> Any: ...  # a Scenario class
    @property
    def replay(self) -> Any: ...  # Replay: .grid.start_ms, .end_ms
    @property
    def storage(self) -> Queryable: ...
    @property
    def episodes(self) -> Sequence[EpisodeLike]: ...
    @property
    def verdicts(self) -> Sequence[Any]: ...  # .ok, .what, .detail


def _seconds(d: Any) -> float:
    from lab.scenarios.shapes import seconds

    return seconds(d)


def from_scenario_run(run: ScenarioRunLike) -> ReplayResult:
    sc = run.scenario
    start = int(run.replay.grid.start_ms)
    faults = [
        FaultWindow(
            f.name,
            f.target,
            f.knob,
            start + round(f.onset_s * 1000),
            None if f.end_s is None else start + round(f.end_s * 1000),
        )
        for f in sc.faults
    ]
    by_name = {f.name: f for f in faults}
    expectations = []
    for e in sc.expect:
        onset = by_name[e.after].onset_ms
        resolve_by = None
        if e.resolves_within is not None:
            end = by_name[getattr(e, "recovery", None) or e.after].end_ms
            if end is not None:
                resolve_by = end + round(_seconds(e.resolves_within) * 1000)
        expectations.append(
            ExpectedAlert(
                e.alert,
                dict(e.labels),
                e.after,
                onset,
                onset + round(_seconds(e.within) * 1000),
                resolve_by,
            )
        )
    alerts = [
        AlertInterval(ep.alert, dict(ep.labels), ep.active_ms, ep.fired_ms, ep.resolved_ms)
        for ep in run.episodes
    ]
    return ReplayResult(
        name=str(sc.name),
        description=str(sc.description),
        start_ms=start,
        end_ms=int(run.replay.end_ms),
        scrape_interval_ms=round(_seconds(sc.scrape_interval) * 1000),
        queryable=run.storage,
        faults=faults,
        alerts=alerts,
        expectations=expectations,
        baseline_end_ms=start + round(sc.baseline_s() * 1000),
        verdicts=[Verdict(bool(v.ok), str(v.what), str(v.detail)) for v in run.verdicts],
    )
