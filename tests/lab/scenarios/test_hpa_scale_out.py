"""The autoscaling scenario: the HPA model scales the Deployment out from its
CPU metric inside the replay, and the saturation alerts fire, then resolve
after the scale-out while the traffic is still high."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.model.labels import Labels
from lab.model.matcher import equal
from lab.scenarios.library import get
from lab.scenarios.runner import grid_of, knobs_of
from lab.scenarios.targets.autoscaled import Autoscaled
from lab.scenarios.validate import run_scenario

RULEPACKS = Path(__file__).resolve().parents[3] / "rulepacks"


def test_scenario_passes_against_the_rule_packs() -> None:
    run = run_scenario(get("hpa-scale-out"), RULEPACKS)
    assert run.ok, [v for v in run.verdicts if not v.ok]
    surge = get("hpa-scale-out").fault("traffic surge")
    still_high = get("hpa-scale-out").start_ms() + (surge.onset_s + 50 * 60) * 1000
    saturation = [ep for ep in run.episodes if ep.alert == "ServiceCPUSaturation"]
    assert saturation and all(ep.resolved_ms is not None and ep.resolved_ms < still_high
                              for ep in saturation)


def test_replicas_follow_the_hpa() -> None:
    sc = get("hpa-scale-out")
    target = sc.targets[0]
    assert isinstance(target, Autoscaled)
    grid = grid_of(sc)
    count, reading = target.replicas(grid, knobs_of(sc, target, grid))
    t = grid.t / 60
    assert set(count[t < 30]) == {3} and np.allclose(reading[t < 30], 60.0)  # on target
    assert count.max() >= 10 and count[-1] == 3  # scaled out, then back in
    ups = np.flatnonzero(np.diff(count) > 0)
    # The timid policy: one pod per 5 minutes, never two within a period.
    assert np.all(np.diff(grid.t[ups]) >= 300 - grid.dt)
    assert np.all(np.diff(count)[ups] == 1)


def test_pods_exist_only_while_scaled_out() -> None:
    sc = get("hpa-scale-out")
    run = run_scenario(sc, RULEPACKS)
    target = sc.targets[0]
    assert isinstance(target, Autoscaled)
    dep = target.deployment
    grid = grid_of(sc)
    count, _ = target.replicas(grid, knobs_of(sc, target, grid))
    q = run.storage.querier(grid.start_ms, grid.start_ms + grid.steps * grid.interval_ms)
    last = int(count.max())  # row index of the first pod that never exists
    never = q.select([equal("__name__", "kube_pod_info"), equal("pod", dep.pod(last))])
    assert list(never) == []
    fifth = q.select([equal("__name__", "up"), equal("job", "shop-api"),
                      equal("instance", f"{dep.pod_ip(4)}:8080")])
    series = list(fifth)
    assert len(series) == 1
    first_seen = int(series[0].timestamps[0])
    assert first_seen > sc.start_ms() + 30 * 60_000  # only after the surge began
    spec = q.select([equal("__name__", "kube_deployment_spec_replicas"),
                     equal("deployment", "shop-api")])
    (s,) = list(spec)
    assert s.labels == Labels.of(__name__="kube_deployment_spec_replicas", deployment="shop-api",
                                 namespace="shop", job="kube-state-metrics",
                                 instance="kube-state-metrics:8080")
    assert s.values.max() == count.max() and s.values.min() == 3
