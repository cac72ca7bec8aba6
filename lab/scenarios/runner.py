"""Replay a scenario: knobs -> target series -> samples, in simulated time.

``render(Scenario)`` builds every series as whole numpy columns (baseline
knobs plus faults, each target's generators, then the scrape loop's own
series per target: ``up``, ``scrape_samples_scraped``,
``scrape_series_added``, ``scrape_duration_seconds``, and staleness markers
where a series disappears). The result is written either in bulk
(``Replay.write(sink)``, any ``add_series`` sink such as ``MemoryStorage``)
or scrape by scrape on a clock (``play``), the way a scrape loop feeds an
``Appendable``::

    replay = render(DiskFill)
    storage = MemoryStorage()
    replay.write(storage)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lab.clock import Clock, VirtualClock
from lab.model.labels import Labels
from lab.model.value import STALE_NAN
from lab.scenarios.dataset import GeneratedSeries, SeriesSink
from lab.scenarios.scenario import Scenario
from lab.scenarios.shapes import seconds
from lab.scenarios.targets.base import F64, I64, Grid, Scrape, Target, stable_seed
from lab.server.storage.interface import Appendable


@dataclass(frozen=True, slots=True)
class Replay:
    scenario: type[Scenario]
    grid: Grid
    series: list[GeneratedSeries]

    @property
    def samples(self) -> int:
        return sum(s.values.size for s in self.series)

    @property
    def end_ms(self) -> int:
        return self.grid.start_ms + (self.grid.steps - 1) * self.grid.interval_ms

    def write(self, sink: SeriesSink) -> None:
        for s in self.series:
            sink.add_series(s.labels, s.timestamps, s.values)


def grid_of(scenario: type[Scenario]) -> Grid:
    interval_ms = round(seconds(scenario.scrape_interval) * 1000)
    steps = int(scenario.duration_s() * 1000 // interval_ms) + 1
    return Grid(scenario.start_ms(), interval_ms, steps)


def knobs_of(scenario: type[Scenario], target: Target, grid: Grid) -> dict[str, F64]:
    """Baseline plus every fault on this target, as (members, steps) matrices."""
    knobs = {
        name: np.full((target.members, grid.steps), value, dtype=np.float64)
        for name, value in target.baseline().items()
    }
    for fault in scenario.faults:
        if fault.target != target.name:
            continue
        rng = np.random.default_rng(stable_seed(scenario.seed, "fault", fault.name))
        delta = fault.shape(grid.t - fault.onset_s, rng)
        rows = list(fault.members) if fault.members is not None else slice(None)
        knobs[fault.knob][rows] += delta
    return knobs


def render(scenario: type[Scenario]) -> Replay:
    scenario.validate()
    grid = grid_of(scenario)
    # Targets that share a scrape target (every workload's pods in the one
    # kube-state-metrics, every container of a node in its kubelet) merge.
    groups: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Scrape]] = defaultdict(list)
    for target in scenario.targets:
        rng = np.random.default_rng(stable_seed(scenario.seed, target.name))
        for scrape in target.scrapes(grid, knobs_of(scenario, target, grid), rng):
            key = (scrape.job, scrape.instance, tuple(sorted(scrape.target_labels.items())))
            groups[key].append(scrape)
    out: list[GeneratedSeries] = []
    for (job, instance, _), scrapes in sorted(groups.items()):
        out.extend(_scrape_series(scenario, grid, job, instance, scrapes))
    return Replay(scenario, grid, out)


def _scrape_series(
    scenario: type[Scenario], grid: Grid, job: str, instance: str, scrapes: list[Scrape]
) -> Iterator[GeneratedSeries]:
    """One scrape target's series, blanked while it is down, plus the series
    the scrape loop itself writes."""
    rng = np.random.default_rng(stable_seed(scenario.seed, "scrape", job, instance))
    # Prometheus spreads targets over the interval by hashing them.
    offset = stable_seed(job, instance) % grid.interval_ms
    ts: I64 = grid.timestamps + offset
    up = scrapes[0].up >= 0.5
    # NaN in ``up``: the target is not discovered at that scrape (a pod that
    # does not exist yet): no scrape at all, so no ``up`` series either.
    discovered = ~np.isnan(scrapes[0].up)
    target_labels = {**scrapes[0].target_labels, "job": job, "instance": instance}
    all_labels: list[Labels] = []
    rows: list[F64] = []
    for scrape in scrapes:
        for labels, values in scrape.series:
            all_labels.append(labels)
            rows.append(values)
    matrix = np.stack(rows) if rows else np.zeros((0, grid.steps))
    matrix = np.where(up[None, :], matrix, np.nan)
    alive = ~np.isnan(matrix)
    # Staleness markers where a series disappears, for all series at once.
    stale = np.zeros_like(alive)
    stale[:, 1:] = alive[:, :-1] & ~alive[:, 1:]
    keep = alive | stale
    out = np.where(stale, STALE_NAN, matrix)
    whole: list[bool] = np.all(keep, axis=1).astype(bool).tolist()
    for i, labels in enumerate(all_labels):
        if whole[i]:
            yield GeneratedSeries(labels, ts, out[i])
        else:
            yield GeneratedSeries(labels, ts[keep[i]], out[i][keep[i]])
    scraped = np.where(up, alive.sum(axis=0), 0).astype(np.float64)
    before = np.zeros_like(alive)
    before[:, 1:] = alive[:, :-1]
    added = (alive & ~before).sum(axis=0).astype(np.float64)
    jitter = np.abs(rng.normal(0, 0.002, grid.steps))
    duration: F64 = np.where(up, 0.004 + scraped * 3e-6 + jitter, 10.0).astype(np.float64)
    for name, values in (
        ("up", up.astype(np.float64)),
        ("scrape_samples_scraped", scraped),
        ("scrape_series_added", added),
        ("scrape_duration_seconds", np.round(duration, 6)),
    ):
        labels = Labels.of(target_labels, __name__=name)
        if discovered.all():
            yield GeneratedSeries(labels, ts, values)
            continue
        gone = np.zeros_like(discovered)
        gone[1:] = discovered[:-1] & ~discovered[1:]
        shown = discovered | gone
        yield GeneratedSeries(labels, ts[shown], np.where(gone, STALE_NAN, values)[shown])


async def play(replay: Replay, appendable: Appendable, clock: Clock) -> int:
    """Append the replay scrape by scrape as simulated time passes on ``clock``
    (one commit per scrape time, like a scrape loop); returns samples written."""
    by_time: dict[int, list[tuple[Labels, float]]] = defaultdict(list)
    for s in replay.series:
        for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True):
            by_time[t].append((s.labels, v))
    written = 0
    for t in sorted(by_time):
        await clock.sleep_until(t)
        app = appendable.appender()
        for labels, v in by_time[t]:
            app.append(labels, t, v)
        app.commit()
        written += len(by_time[t])
    return written


async def play_on_virtual_clock(replay: Replay, appendable: Appendable) -> int:
    """``play`` on a fresh VirtualClock, advanced to the end of the replay."""
    clock = VirtualClock(start_ms=replay.grid.start_ms)
    task = asyncio.create_task(play(replay, appendable, clock))
    await clock.advance_to(replay.end_ms + replay.grid.interval_ms)
    return await task
