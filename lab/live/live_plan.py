"""Which scenarios can run live, and what the live tools must do, when.

A scenario is **live-capable** when every fault maps onto a live tool:

* a web service (``web_service`` / a ``Deployment`` with an HTTP app) is the
  local **demo app**: ``latency`` -> ``POST /admin/degrade`` ``latency_ms``,
  ``errors`` -> ``error_rate``, ``traffic`` -> the number of ``promlab load``
  users;
* a ``Node`` is the local host seen by the local **node exporter**: ``cpu`` ->
  ``promlab stress cpu`` for the fault's (scaled) duration;

and at most one web service and one node carry faults (there is one demo app
and one host). Library scenarios that qualify: ``latency-degradation``,
``error-burst``, ``cpu-spike`` and ``slow-checkout`` (the short one CI runs).

Time: scenario second ``s`` happens ``s / scale`` real seconds after the
start. Knob values come from the replay's own computation
(``runner.knobs_of``) on a grid of ``step_s`` scenario seconds, so a live run
follows exactly the curve the simulated one does.

Mappings (documented magnitudes, not windows — those are not scaled):

* latency: the simulated service's p99 is about ``0.3 s x multiplier``; the
  demo app gets ``300 ms x (multiplier - 1)`` extra, capped at
  ``LATENCY_CAP_MS`` (3 s, still above the 2.5 s critical threshold) so
  requests in flight drain within seconds after recovery;
* errors: the 5xx share as the demo app's error probability (below 0.1 %: 0);
* traffic: ``BASE_USERS x multiplier`` locust users.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Final

import numpy as np

from lab.live.errors import LiveError
from lab.scenarios.runner import knobs_of
from lab.scenarios.scenario import Scenario
from lab.scenarios.shapes import seconds
from lab.scenarios.targets.base import F64, Grid
from lab.scenarios.targets.kube import Deployment
from lab.scenarios.targets.node import Node

WEB_KNOBS: Final = frozenset({"latency", "errors", "traffic"})
NODE_KNOBS: Final = frozenset({"cpu"})
LATENCY_MS_PER_MULTIPLE: Final = 300.0
LATENCY_CAP_MS: Final = 3000.0
MIN_ERROR_RATE: Final = 0.001
BASE_USERS: Final = 8
MAX_USERS: Final = 40


class NotLiveCapable(LiveError):
    """The scenario has a fault no live tool can produce; the message says which."""


@dataclass(frozen=True)
class CpuBurst:
    """``promlab stress cpu`` from ``start_s`` (real seconds) for ``duration_s``."""

    start_s: float
    duration_s: float
    cores: int


@dataclass(frozen=True)
class LivePlan:
    scenario: type[Scenario]
    scale: float
    #: scenario seconds per knob step
    step_s: float
    web: Deployment | None
    node: Node | None
    #: per step: extra latency (ms), error probability, locust users
    latency_ms: F64
    error_rate: F64
    users: F64
    cpu: tuple[CpuBurst, ...]

    @property
    def duration_s(self) -> float:
        """Real seconds the live run takes."""
        return self.scenario.duration_s() / self.scale

    def at(self, real_s: float) -> int:
        """The knob step in force ``real_s`` real seconds after the start."""
        i = int(real_s * self.scale / self.step_s)
        return min(max(i, 0), self.latency_ms.size - 1)

    def scenario_s(self, real_s: float) -> float:
        return real_s * self.scale

    def load_stages(self, step_real_s: float = 1.0, extra_s: float = 0.0
                    ) -> list[dict[str, float | int]]:
        """The ``promlab load`` stages for the whole run (users per real second),
        the last one held ``extra_s`` longer: locust starts a moment before the
        run's clock does and must not stop before it."""
        stages: list[dict[str, float | int]] = []
        t = 0.0
        while t < self.duration_s:
            users = int(self.users[self.at(t)])
            d = min(step_real_s, self.duration_s - t)
            if stages and stages[-1]["users"] == users:
                stages[-1]["duration"] = float(stages[-1]["duration"]) + d
            else:
                stages.append({"duration": d, "users": users, "spawn_rate": max(users, 1)})
            t += d
        stages[-1]["duration"] = float(stages[-1]["duration"]) + extra_s
        return stages


def check(scenario: type[Scenario]) -> tuple[Deployment | None, Node | None]:
    """The web service and node the live tools stand for; ``NotLiveCapable`` if none can."""
    scenario.validate()
    web: Deployment | None = None
    node: Node | None = None
    for f in scenario.faults:
        target = scenario.target(f.target)
        if isinstance(target, Deployment) and target.http is not None and f.knob in WEB_KNOBS:
            if web is not None and web is not target:
                raise NotLiveCapable(f"{scenario.name}: faults on two web services "
                                     f"({web.name}, {target.name}); the lab has one demo app")
            web = target
        elif isinstance(target, Node) and f.knob in NODE_KNOBS:
            if node is not None and node is not target:
                raise NotLiveCapable(f"{scenario.name}: faults on two nodes "
                                     f"({node.name}, {target.name}); the lab has one host")
            node = target
        else:
            raise NotLiveCapable(
                f"{scenario.name}: fault {f.name!r} ({type(target).__name__} knob {f.knob!r}) "
                "has no live equivalent (live knobs: web service latency/errors/traffic, "
                "node cpu)"
            )
    if web is None:
        web = next((t for t in scenario.targets if isinstance(t, Deployment)
                    and t.http is not None), None)
    return web, node


def live_capable(scenario: type[Scenario]) -> bool:
    try:
        check(scenario)
    except NotLiveCapable:
        return False
    return True


def plan(scenario: type[Scenario], scale: float, host_cores: int | None = None,
         step_s: float | None = None) -> LivePlan:
    """The live schedule of ``scenario`` at ``scale`` (``NotLiveCapable`` if it has none)."""
    if not (scale >= 1 and math.isfinite(scale)):
        raise LiveError(f"--time-scale must be >= 1, got {scale}")
    web, node = check(scenario)
    step = step_s or seconds(scenario.scrape_interval)
    steps = max(1, math.ceil(scenario.duration_s() / step) + 1)
    grid = Grid(scenario.start_ms(), round(step * 1000), steps)
    latency = np.zeros(steps)
    errors = np.zeros(steps)
    users = np.full(steps, float(BASE_USERS))
    if web is not None:
        knobs = knobs_of(scenario, web, grid)
        multiplier = knobs["latency"].max(axis=0)
        latency = np.clip(LATENCY_MS_PER_MULTIPLE * (multiplier - 1.0), 0.0, LATENCY_CAP_MS)
        share = knobs["errors"].mean(axis=0)
        errors = np.where(share >= MIN_ERROR_RATE, np.clip(share, 0.0, 1.0), 0.0)
        users = np.clip(np.round(BASE_USERS * knobs["traffic"].mean(axis=0)), 1, MAX_USERS)
    bursts: list[CpuBurst] = []
    if node is not None:
        cores = host_cores or len(os.sched_getaffinity(0))
        base = node.baseline()["cpu"]
        for f in scenario.faults:
            if scenario.target(f.target) is not node:
                continue
            end = f.end_s if f.end_s is not None else scenario.duration_s()
            t = np.arange(f.onset_s, end, step)
            peak = base + float(np.max(f.shape(t - f.onset_s, np.random.default_rng(0))))
            n = min(cores, max(1, math.ceil(peak * cores)))
            bursts.append(CpuBurst(f.onset_s / scale, (end - f.onset_s) / scale, n))
    return LivePlan(scenario, scale, step, web, node, latency, errors, users, tuple(bursts))
