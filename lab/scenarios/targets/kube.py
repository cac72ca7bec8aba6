"""A simulated Kubernetes Deployment: its pods as kube-state-metrics reports
them (``kube_pod_*``, ``kube_deployment_*``) and its containers as the
kubelet's cAdvisor does (``container_cpu_usage_seconds_total`` ...).

Knobs, one row per pod (faults pick rows with ``pods=``):

* ``cpu`` — CPU demand as a fraction of the limit (usage is capped just
  under the limit; the excess shows as CFS throttling);
* ``memory`` — working set as a fraction of the limit; reaching 1.0 is an
  OOM kill (restart, lastState OOMKilled);
* ``crash`` — >= 0.5: the container crash-loops (restarts with the
  kubelet's doubling back-off, waiting in CrashLoopBackOff, not ready);
* ``restart`` — each rise to >= 0.5 restarts the container once;
* ``unready`` — >= 0.5: the readiness probe fails;
* ``rollout`` (deployment-wide, row 0) — >= 0.5: a new revision was applied
  and its pod cannot start (ImagePullBackOff), so the rollout stalls.

An optional ``http`` app (see ``web.py``) makes the pods an instrumented web
service whose traffic drives CPU and whose restarts reset its counters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lab.scenarios.targets.base import (
    F64,
    B,
    Grid,
    Scrape,
    counter,
    one_of,
    present,
    rising,
    stable_seed,
)
from lab.scenarios.targets.web import HttpApp, http_scrapes

MIB = 1024.0**2
KSM = ("kube-state-metrics", "kube-state-metrics:8080")
PROGRESS_DEADLINE_S = 600.0
#: kubelet back-off between crash restarts: 10 s doubling up to 5 min
_BACKOFF = np.cumsum(np.minimum(10.0 * 2.0 ** np.arange(64), 300.0) + 5.0)
_REASONS = ("OOMKilled", "Error", "Completed")


@dataclass(frozen=True, slots=True)
class PodStates:
    """What each pod is doing at each scrape; (pods, steps) matrices."""

    running: B  # the container process is up (scrapeable, serving)
    ready: B
    crashing: B
    restarts: F64  # cumulative restart count
    restarted: B  # a restart happened during this step
    last_reason: npt.NDArray[np.int_]  # index into _REASONS, -1 before any
    demand: F64  # CPU demand / limit
    memory: F64  # working set / limit


@dataclass(frozen=True, slots=True)
class Deployment:
    name: str
    namespace: str = "shop"
    replicas: int = 3
    nodes: tuple[str, ...] = ("node-1", "node-2", "node-3")
    cpu_limit: float = 1.0
    memory_limit_mib: float = 512.0
    cpu: float = 0.3
    memory: float = 0.5
    http: HttpApp | None = None

    @property
    def members(self) -> int:
        return self.replicas

    @property
    def container(self) -> str:
        return self.name

    def pod(self, i: int, revision: int = 1) -> str:
        h = stable_seed(self.namespace, self.name, revision)
        letters = "bcdfghjklmnpqrstvwxz2456789"
        rs = "".join(letters[(h >> (5 * k)) % 27] for k in range(6))
        return f"{self.name}-{rs}{h % 4:x}-{letters[(h + i * 7) % 27]}{letters[i % 27]}x{i}"

    def node_of(self, i: int) -> str:
        return self.nodes[i % len(self.nodes)]

    def pod_ip(self, i: int) -> str:
        return f"10.244.{stable_seed(self.name) % 200}.{10 + i}"

    def baseline(self) -> Mapping[str, float]:
        base = {"cpu": self.cpu, "memory": self.memory, "crash": 0.0, "restart": 0.0,
                "unready": 0.0, "rollout": 0.0}
        if self.http is not None:
            base.update(self.http.baseline())
        return base

    def scrapes(self, grid: Grid, knobs: Mapping[str, F64], rng: np.random.Generator) -> Iterator[
        Scrape
    ]:
        share: F64 | None = None
        if self.http is not None:
            _, ready = self._liveness(grid, knobs)
            share = self.http.load_share(knobs, ready)
        states = self._states(grid, knobs, share)
        yield from self._kube_state(grid, states, knobs["rollout"][0] >= 0.5)
        yield from self._cadvisor(grid, states, rng)
        if self.http is not None:
            yield from http_scrapes(self, self.http, grid, states, knobs, rng)

    # -- pod states -------------------------------------------------------------

    def _liveness(self, grid: Grid, knobs: Mapping[str, F64]) -> tuple[B, B]:
        """Running/ready before OOM kills are known (enough to split traffic)."""
        crashing = knobs["crash"] >= 0.5
        restarted = rising(knobs["restart"] >= 0.5)
        starting = _window_after(restarted, round(60 / grid.dt))
        running = ~crashing & ~_window_after(restarted, 1)
        return running, running & ~starting & ~(knobs["unready"] >= 0.5)

    def _states(self, grid: Grid, knobs: Mapping[str, F64], share: F64 | None) -> PodStates:
        pods, n = knobs["cpu"].shape
        crashing = knobs["crash"] >= 0.5
        memory = knobs["memory"]
        oom = rising(memory >= 1.0) & ~crashing
        manual = rising(knobs["restart"] >= 0.5)
        # Crash loops restart on the kubelet's back-off schedule.
        since = _time_since_onset(crashing, grid.dt)
        crash_count = np.where(crashing, np.searchsorted(_BACKOFF, since, side="right") + 1, 0)
        crash_restart = np.diff(crash_count, axis=1, prepend=0) > 0
        restarted = oom | manual | crash_restart
        restarts = np.cumsum(restarted, axis=1).astype(np.float64)
        code = np.full((pods, n), -1)
        code[manual] = 2
        code[crash_restart] = 1
        code[oom] = 0
        last_reason = _forward_fill(code)
        starting = _window_after(restarted & ~crashing, round(60 / grid.dt))
        running = ~crashing & ~_window_after(manual, 1)
        ready = running & ~starting & ~(knobs["unready"] >= 0.5)
        demand = knobs["cpu"] * (1.0 if share is None else share)
        demand = np.where(running, demand, 0.01)
        working = np.where(running, np.clip(memory, 0.02, 0.995), 0.02)
        return PodStates(running, ready, crashing, restarts, restarted, last_reason, demand,
                         working)

    # -- kube-state-metrics -----------------------------------------------------

    def _kube_state(self, grid: Grid, st: PodStates, rollout: B) -> Iterator[Scrape]:
        n = grid.steps
        s = Scrape(*KSM, np.ones(n))
        ns, c = self.namespace, self.container
        ones = np.ones(n)
        for i in range(self.replicas):
            pod = self.pod(i)
            ident = {"namespace": ns, "pod": pod, "uid": _uid(ns, pod)}
            s.add(ones, "kube_pod_info", **ident, node=self.node_of(i), pod_ip=self.pod_ip(i),
                  host_ip=f"10.0.0.{10 + i % len(self.nodes)}", created_by_kind="ReplicaSet",
                  created_by_name=pod.rsplit("-", 1)[0], priority_class="",
                  host_network="false")
            s.add(ones, "kube_pod_owner", **ident, owner_kind="ReplicaSet",
                  owner_name=pod.rsplit("-", 1)[0], owner_is_controller="true")
            for phase, v in one_of(("Pending", "Running", "Succeeded", "Failed", "Unknown"),
                                   np.ones(n, dtype=int)):
                s.add(v, "kube_pod_status_phase", **ident, phase=phase)
            for cond, v in one_of(("true", "false", "unknown"),
                                  np.where(st.ready[i], 0, 1)):
                s.add(v, "kube_pod_status_ready", **ident, condition=cond)
            cid = {**ident, "container": c}
            s.add(st.restarts[i], "kube_pod_container_status_restarts_total", **cid)
            s.add(st.ready[i].astype(np.float64), "kube_pod_container_status_ready", **cid)
            s.add(st.crashing[i].astype(np.float64), "kube_pod_container_status_waiting", **cid)
            s.add(present(st.crashing[i], ones), "kube_pod_container_status_waiting_reason",
                  **cid, reason="CrashLoopBackOff")
            for k, reason in enumerate(_REASONS):
                s.add(present(st.last_reason[i] == k, ones),
                      "kube_pod_container_status_last_terminated_reason", **cid, reason=reason)
            node = self.node_of(i)
            for res, unit, req, lim in (
                ("cpu", "core", self.cpu_limit / 2, self.cpu_limit),
                ("memory", "byte", self.memory_limit_mib * MIB / 2, self.memory_limit_mib * MIB),
            ):
                s.add(np.full(n, req), "kube_pod_container_resource_requests", **cid, node=node,
                      resource=res, unit=unit)
                s.add(np.full(n, lim), "kube_pod_container_resource_limits", **cid, node=node,
                      resource=res, unit=unit)
        self._stuck_pod(s, grid, rollout)
        self._deployment(s, grid, st, rollout)
        yield s

    def _stuck_pod(self, s: Scrape, grid: Grid, rollout: B) -> None:
        """The new revision's pod, waiting on an image that does not exist."""
        n = grid.steps
        pod = self.pod(0, revision=2)
        ident = {"namespace": self.namespace, "pod": pod, "uid": _uid(self.namespace, pod)}
        on = present(rollout, np.ones(n))
        s.add(on, "kube_pod_info", **ident, node=self.node_of(1), created_by_kind="ReplicaSet",
              created_by_name=pod.rsplit("-", 1)[0], priority_class="", host_network="false")
        for phase, v in one_of(("Pending", "Running", "Succeeded", "Failed", "Unknown"),
                               np.zeros(n, dtype=int)):
            s.add(present(rollout, v), "kube_pod_status_phase", **ident, phase=phase)
        for cond, v in one_of(("true", "false", "unknown"), np.ones(n, dtype=int)):
            s.add(present(rollout, v), "kube_pod_status_ready", **ident, condition=cond)
        s.add(on, "kube_pod_container_status_waiting_reason", **ident, container=self.container,
              reason="ImagePullBackOff")

    def _deployment(self, s: Scrape, grid: Grid, st: PodStates, rollout: B) -> None:
        n = grid.steps
        ident = {"namespace": self.namespace, "deployment": self.name}
        generation = 1 + np.cumsum(rising(rollout)) + np.cumsum(rising(~rollout) & (
            np.cumsum(rollout) > 0))
        available = st.ready.sum(axis=0).astype(np.float64)
        updated = np.where(rollout, 1.0, float(self.replicas))
        s.add(np.full(n, float(self.replicas)), "kube_deployment_spec_replicas", **ident)
        s.add(np.full(n, float(self.replicas)) + rollout, "kube_deployment_status_replicas",
              **ident)
        s.add(available, "kube_deployment_status_replicas_available", **ident)
        s.add(available, "kube_deployment_status_replicas_ready", **ident)
        s.add(self.replicas + rollout - available, "kube_deployment_status_replicas_unavailable",
              **ident)
        s.add(updated, "kube_deployment_status_replicas_updated", **ident)
        s.add(generation.astype(np.float64), "kube_deployment_metadata_generation", **ident)
        s.add(generation.astype(np.float64), "kube_deployment_status_observed_generation", **ident)
        stalled = rollout & (_time_since_onset(rollout[None, :], grid.dt)[0] >= PROGRESS_DEADLINE_S)
        for reason, mask, status in (
            ("NewReplicaSetAvailable", ~rollout, "true"),
            ("ReplicaSetUpdated", rollout & ~stalled, "true"),
            ("ProgressDeadlineExceeded", stalled, "false"),
        ):
            for value, st_name in ((1.0, status), (0.0, "unknown")):
                s.add(present(mask, np.full(n, value)), "kube_deployment_status_condition",
                      **ident, condition="Progressing", status=st_name, reason=reason)
        ok = available >= self.replicas - 1
        for cond, v in one_of(("true", "false", "unknown"), np.where(ok, 0, 1)):
            s.add(v, "kube_deployment_status_condition", **ident, condition="Available",
                  status=cond, reason="MinimumReplicasAvailable")

    # -- cAdvisor ---------------------------------------------------------------

    def _cadvisor(self, grid: Grid, st: PodStates, rng: np.random.Generator) -> Iterator[
        Scrape
    ]:
        n, dt = grid.steps, grid.dt
        for i in range(self.replicas):
            node = self.node_of(i)
            s = Scrape("kubelet", f"{node}:10250", np.ones(n),
                       target_labels={"metrics_path": "/metrics/cadvisor"})
            ids = {"namespace": self.namespace, "pod": self.pod(i), "container": self.container,
                   "node": node, "image": f"registry.example.com/{self.name}:1.4.2"}
            usage = np.clip(st.demand[i] + rng.normal(0, 0.01, n), 0.0, 0.98) * self.cpu_limit
            s.add(counter(usage * dt, st.restarted[i], 5e3), "container_cpu_usage_seconds_total",
                  **ids)
            periods = np.where(st.running[i], 10.0 * dt, 0.0)
            throttled = periods * np.clip((st.demand[i] - 0.75) / 0.5, 0.0, 1.0)
            s.add(counter(periods, st.restarted[i], 1e6), "container_cpu_cfs_periods_total", **ids)
            s.add(counter(np.round(throttled), st.restarted[i]),
                  "container_cpu_cfs_throttled_periods_total", **ids)
            working = st.memory[i] * self.memory_limit_mib * MIB
            s.add(np.round(working + rng.normal(0, 2e5, n)), "container_memory_working_set_bytes",
                  **ids)
            s.add(np.full(n, self.memory_limit_mib * MIB), "container_spec_memory_limit_bytes",
                  **ids)
            yield s


def _uid(namespace: str, pod: str) -> str:
    h = f"{stable_seed(namespace, pod):08x}{stable_seed(pod, namespace):08x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[1:4]}-{h[4:16]}"


def _time_since_onset(mask: B, dt: float) -> F64:
    """Seconds since each row's current run of true values began (0 when false)."""
    idx = np.broadcast_to(np.arange(mask.shape[-1]), mask.shape)
    start = np.maximum.accumulate(np.where(rising(mask), idx, 0), axis=-1)
    return np.where(mask, (idx - start) * dt, 0.0)


def _window_after(events: B, steps: int) -> B:
    """True for ``steps`` scrapes starting at each event."""
    c = np.cumsum(events, axis=-1)
    shifted = np.zeros_like(c)
    if steps < c.shape[-1]:
        shifted[..., steps:] = c[..., :-steps]
    out: B = np.greater(c - shifted, 0)
    return out


def _forward_fill(code: npt.NDArray[np.int_]) -> npt.NDArray[np.int_]:
    idx = np.broadcast_to(np.arange(code.shape[-1]), code.shape)
    last = np.maximum.accumulate(np.where(code >= 0, idx, 0), axis=-1)
    filled = np.take_along_axis(code, last, axis=-1)
    seen = np.maximum.accumulate(code >= 0, axis=-1)
    return np.where(seen, filled, -1)
