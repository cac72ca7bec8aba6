"""A web Deployment under a HorizontalPodAutoscaler, in simulated time.

``Autoscaled(web_service(...), hpa=HpaSpec(...), initial=3)`` is a target
whose replica count is decided by ``lab.cluster.hpa.Autoscaler`` (the same
algorithm the simulated cluster's controller runs) from the metric the HPA
would read: the pods' average CPU utilisation against their request, as
metrics-server reports it (usage averaged over the last minute).

How it renders: the wrapped ``Deployment`` has one row per *possible* pod
(``replicas`` = ``maxReplicas``). A closed loop walks the scrape grid (one HPA
sync per scrape): the replicas of step ``k`` serve that step's traffic, their
CPU is the HPA's reading, and its decision is the replica count of step
``k + 1``; a new pod is unready for its first step. Rows beyond the current
count are pods that do not exist: their series are absent (NaN, so the runner
writes staleness markers), their scrape target is not discovered (``up`` NaN),
and the Deployment's ``spec/status`` replica series follow the count. The
HPA's own kube-state-metrics series are added
(``kube_horizontalpodautoscaler_spec_{min,max}_replicas``,
``..._status_{current,desired}_replicas``).

The CPU model is the Deployment's: a pod's demand is ``cpu x traffic x rows /
ready``, so set the Deployment's ``cpu`` to (per-pod demand at ``initial``
replicas) x ``initial / rows``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from lab.cluster.hpa import Autoscaler, HpaSpec
from lab.model.labels import Labels
from lab.scenarios.targets.base import F64, Grid, Scrape, one_of
from lab.scenarios.targets.kube import KSM, Deployment

#: request = limit / 2 in the Deployment's pod spec: utilisation = 2 x demand
REQUEST_SHARE = 0.5
#: metrics-server's usage window, in scrapes (30 s each by default): one minute
METRIC_WINDOW_STEPS = 2


@dataclass(frozen=True, slots=True)
class Autoscaled:
    deployment: Deployment
    hpa: HpaSpec
    initial: int

    @property
    def name(self) -> str:
        return self.deployment.name

    @property
    def members(self) -> int:
        return self.deployment.replicas

    def baseline(self) -> Mapping[str, float]:
        return self.deployment.baseline()

    def replicas(self, grid: Grid, knobs: Mapping[str, F64]) -> tuple[np.ndarray, F64]:
        """(replicas per step, the HPA's reading per step) from the closed loop."""
        rows, n = self.deployment.replicas, grid.steps
        cpu = knobs["cpu"].mean(axis=0)
        traffic = knobs["traffic"].max(axis=0)
        count = np.zeros(n, dtype=np.int64)
        reading = np.zeros(n)
        utilisation = np.zeros(n)
        scaler = Autoscaler(self.hpa)
        current = min(max(self.initial, self.hpa.min_replicas), rows)
        previous = current
        for k in range(n):
            count[k] = current
            ready = min(current, previous)  # pods new this step are not ready yet
            demand = cpu[k] * traffic[k] * rows / max(ready, 1)
            usage = min(demand, 0.98) * ready  # cAdvisor caps usage under the limit
            utilisation[k] = usage / current / REQUEST_SHARE * 100
            reading[k] = utilisation[max(0, k - METRIC_WINDOW_STEPS + 1): k + 1].mean()
            previous = current
            decided = scaler.recommend(current, [float(reading[k])], float(grid.t[k])).desired
            current = min(max(decided, 0), rows)
        return count, reading

    def scrapes(self, grid: Grid, knobs: Mapping[str, F64], rng: np.random.Generator
                ) -> Iterator[Scrape]:
        dep = self.deployment
        count, _ = self.replicas(grid, knobs)
        rows = np.arange(dep.replicas)[:, None]
        exists = rows < count[None, :]
        new = exists & ~np.concatenate([exists[:, :1], exists[:, :-1]], axis=1)
        adjusted = dict(knobs)
        # Absent and brand-new pods get no traffic: the balancer skips unready pods.
        adjusted["unready"] = np.where(exists & ~new, knobs["unready"], 1.0)
        pods = {dep.pod(i): i for i in range(dep.replicas)}
        instances = {f"{dep.pod_ip(i)}:{dep.http.port}": i
                     for i in range(dep.replicas)} if dep.http is not None else {}
        for scrape in dep.scrapes(grid, adjusted, rng):
            if scrape.job == dep.name and scrape.instance in instances:
                i = instances[scrape.instance]
                scrape.up = np.where(exists[i], scrape.up, np.nan)
            scrape.series = [self._adjust(labels, values, pods, exists, count)
                             for labels, values in scrape.series]
            if scrape.job == KSM[0]:
                self._available_condition(scrape, count)
            yield scrape
        yield self._hpa_series(grid, count)

    def _adjust(self, labels: Labels, values: F64, pods: Mapping[str, int], exists: np.ndarray,
                count: np.ndarray) -> tuple[Labels, F64]:
        pod = labels.get("pod")
        if pod is not None and pod in pods:
            return labels, np.where(exists[pods[pod]], values, np.nan)
        name = labels.get("__name__")
        if labels.get("deployment") == self.deployment.name:
            n = count.astype(np.float64)
            if name in ("kube_deployment_spec_replicas", "kube_deployment_status_replicas",
                        "kube_deployment_status_replicas_updated"):
                return labels, n
            if name == "kube_deployment_status_replicas_unavailable":
                # rendered against every row; only ``count`` of them exist
                return labels, values - (self.deployment.replicas - n)
        return labels, values

    def _available_condition(self, scrape: Scrape, count: np.ndarray) -> None:
        """``Available`` as the Deployment computes it, against the current count."""
        me = self.deployment.name
        wanted = "kube_deployment_status_replicas_available"
        available = next((v for labels, v in scrape.series
                          if labels.get("deployment") == me and labels.get("__name__") == wanted),
                         None)
        if available is None:
            return
        state = dict(one_of(("true", "false", "unknown"),
                            np.where(available >= count - 1, 0, 1)))
        scrape.series = [
            (labels, state[labels.get("status") or ""])
            if labels.get("deployment") == me and labels.get("condition") == "Available"
            and labels.get("__name__") == "kube_deployment_status_condition" else (labels, v)
            for labels, v in scrape.series
        ]

    def _hpa_series(self, grid: Grid, count: np.ndarray) -> Scrape:
        dep = self.deployment
        s = Scrape(*KSM, np.ones(grid.steps))
        ident = {"namespace": dep.namespace, "horizontalpodautoscaler": dep.name}
        desired = np.concatenate([count[1:], count[-1:]]).astype(np.float64)
        s.add(np.full(grid.steps, float(self.hpa.min_replicas)),
              "kube_horizontalpodautoscaler_spec_min_replicas", **ident)
        s.add(np.full(grid.steps, float(self.hpa.max_replicas)),
              "kube_horizontalpodautoscaler_spec_max_replicas", **ident)
        s.add(count.astype(np.float64), "kube_horizontalpodautoscaler_status_current_replicas",
              **ident)
        s.add(desired, "kube_horizontalpodautoscaler_status_desired_replicas", **ident)
        at_max = (count >= self.hpa.max_replicas).astype(np.int_)
        for status, v in one_of(("false", "true"), at_max):
            s.add(v, "kube_horizontalpodautoscaler_status_condition", **ident,
                  condition="ScalingLimited", status=status)
        return s
