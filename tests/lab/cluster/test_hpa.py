"""The HPA model: its arithmetic table-driven, then the controller over the
simulated cluster (status written, Deployment scaled through control.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from lab.cluster.control import Cluster
from lab.cluster.hpa import (
    DEFAULT_DOWN,
    DEFAULT_UP,
    Autoscaler,
    HpaController,
    HpaSpec,
    MetricTarget,
    Policy,
    QueryMetrics,
    Rules,
    proposal,
    quantity,
)

CPU = MetricTarget("Resource", "cpu", "Utilization", 60.0)
RPS_TOTAL = MetricTarget("External", "shop_rps", "AverageValue", 10.0)
QUEUE = MetricTarget("External", "queue_depth", "Value", 100.0)


@pytest.mark.parametrize(
    ("current", "target", "reading", "want"),
    [
        (3, CPU, 60.0, 3),  # on target
        (3, CPU, 65.0, 3),  # ratio 1.083: within the 0.1 tolerance
        (3, CPU, 54.0, 3),  # ratio 0.9: still within (inclusive)
        (3, CPU, 67.0, 4),  # ratio 1.117: ceil(3.35)
        (3, CPU, 120.0, 6),
        (10, CPU, 30.0, 5),
        (10, CPU, 1.0, 1),
        (4, RPS_TOTAL, 41.0, 4),  # 41 / (10*4) = 1.025: within tolerance
        (4, RPS_TOTAL, 95.0, 10),  # total / per-pod target, not times current
        (4, RPS_TOTAL, 5.0, 1),
        (2, QUEUE, 250.0, 5),  # Value: current * value / target
    ],
)
def test_proposal(current: int, target: MetricTarget, reading: float, want: int) -> None:
    assert proposal(current, target, reading) == want


def spec(*, lo: int = 1, hi: int = 20, up: Rules = DEFAULT_UP, down: Rules = DEFAULT_DOWN,
         metrics: Sequence[MetricTarget] = (CPU,)) -> HpaSpec:
    return HpaSpec(lo, hi, tuple(metrics), up, down)


def run(s: HpaSpec, current: int, steps: Sequence[tuple[float, float | None]]) -> list[int]:
    """Feed (time, reading) syncs, following the replicas each decision sets."""
    scaler, out = Autoscaler(s), []
    for t, reading in steps:
        current = scaler.recommend(current, [reading], t).desired
        out.append(current)
    return out


@pytest.mark.parametrize(
    ("name", "s", "current", "steps", "want"),
    [
        ("min/max clamp up", spec(hi=5), 3, [(0, 600.0)], [5]),
        ("min/max clamp down", spec(lo=2), 6, [(0, 1.0), (400, 1.0)], [6, 2]),
        ("out of range is brought back first", spec(lo=2, hi=4), 9, [(0, None)], [4]),
        ("below min without metrics", spec(lo=3), 1, [(0, None)], [3]),
        ("no metric: no change", spec(), 4, [(0, None)], [4]),
        ("scaled to zero stays disabled", spec(lo=0), 0, [(0, 600.0)], [0]),
        # default scale-up: max(100 %, 4 pods) per 15 s
        ("default up policy: +100 %", spec(hi=100), 10, [(0, 600.0)], [20]),
        ("default up policy: +4 pods", spec(hi=100), 1, [(0, 600.0)], [5]),
        ("up policy period counts earlier adds", spec(hi=100), 1,
         [(0, 6000.0), (5, 6000.0), (15, 6000.0)], [5, 5, 10]),
        # default scale-down: 300 s stabilization = the highest proposal kept
        ("down stabilization holds", spec(), 10,
         [(0, 30.0), (60, 30.0), (299, 30.0), (300, 30.0)], [10, 10, 10, 5]),
        ("down stabilization keeps the max", spec(), 10,
         [(0, 30.0), (100, 48.0), (200, 30.0), (301, 30.0), (401, 30.0)], [10, 10, 10, 8, 5]),
        ("no down stabilization", spec(down=Rules(0, "Max", DEFAULT_DOWN.policies)), 10,
         [(0, 30.0)], [5]),
        ("up stabilization takes the min", spec(up=Rules(60, "Max", DEFAULT_UP.policies)), 4,
         [(0, 60.0), (10, 120.0), (30, 120.0), (71, 120.0)], [4, 4, 4, 8]),
        ("timid up policy: 1 pod / 5 min",
         spec(up=Rules(0, "Max", (Policy("Pods", 1, 300),))), 3,
         [(0, 300.0), (15, 300.0), (299, 300.0), (300, 300.0), (330, 300.0)], [4, 4, 4, 5, 5]),
        ("select Min takes the smaller limit",
         spec(hi=100, up=Rules(0, "Min", (Policy("Percent", 100, 15), Policy("Pods", 2, 15)))),
         10, [(0, 600.0)], [12]),
        ("up disabled", spec(up=Rules(0, "Disabled", DEFAULT_UP.policies)), 3, [(0, 600.0)], [3]),
        ("down Pods policy",
         spec(down=Rules(0, "Max", (Policy("Pods", 2, 60),))), 10,
         [(0, 6.0), (30, 6.0), (61, 6.0)], [8, 8, 6]),
    ],
)
def test_autoscaler(name: str, s: HpaSpec, current: int,
                    steps: Sequence[tuple[float, float | None]], want: list[int]) -> None:
    assert run(s, current, steps) == want, name


def test_limited_reason() -> None:
    scaler = Autoscaler(spec(hi=5))
    d = scaler.recommend(3, [600.0], 0)
    assert (d.desired, d.proposal, d.limited) == (5, 30, "TooManyReplicas")
    timid = Autoscaler(spec(up=Rules(0, "Max", (Policy("Pods", 1, 300),))))
    assert timid.recommend(3, [300.0], 0).limited == "ScaleUpLimit"
    held = Autoscaler(spec())
    held.recommend(10, [60.0], 0)
    assert held.recommend(10, [30.0], 10).limited == "ScaleDownStabilized"


def hpa_object(behavior: Mapping[str, object] | None = None) -> dict[str, object]:
    spec_: dict[str, object] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "svc-0000"},
        "minReplicas": 2,
        "maxReplicas": 12,
        "metrics": [{"type": "External", "external": {
            "metric": {"name": "shop_rps", "selector": {"matchLabels": {"job": "shop"}}},
            "target": {"type": "AverageValue", "averageValue": "500m"}}}],
    }
    if behavior:
        spec_["behavior"] = behavior
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "shop", "namespace": "app-0"}, "spec": spec_}


def test_spec_from_object() -> None:
    s = HpaSpec.from_object(hpa_object({"scaleUp": {"stabilizationWindowSeconds": 30, "policies": [
        {"type": "Pods", "value": 1, "periodSeconds": 60}]}}))
    assert (s.min_replicas, s.max_replicas) == (2, 12)
    assert s.metrics == (MetricTarget("External", "shop_rps", "AverageValue", 0.5,
                                      {"job": "shop"}),)
    assert s.up == Rules(30, "Max", (Policy("Pods", 1, 60),)) and s.down == DEFAULT_DOWN
    assert quantity("250m") == 0.25 and quantity("2k") == 2000 and quantity(3) == 3.0
    default = HpaSpec.from_object({"spec": {"maxReplicas": 3, "scaleTargetRef": {}}})
    assert default.metrics == (MetricTarget("Resource", "cpu", "Utilization", 80.0),)


def test_controller_scales_deployment_and_writes_status(sim: Cluster) -> None:
    for hpa in list(sim.store.items("horizontalpodautoscalers")):
        sim.delete("horizontalpodautoscalers", hpa["metadata"]["namespace"],
                   hpa["metadata"]["name"])
    sim.create(hpa_object())
    rps = {"value": 6.0}
    seen: list[tuple[str, Mapping[str, str]]] = []

    def query(namespace: str, selector: Mapping[str, str]) -> float | None:
        seen.append((namespace, selector))
        return rps["value"]

    controller = HpaController(sim, QueryMetrics({"shop_rps": query}))
    before = sim.get("deployments", "app-0", "svc-0000")["spec"]["replicas"]
    decisions = controller.sync(1000.0)
    assert decisions[("app-0", "shop")].desired == 12 and before == 10
    assert seen == [("app-0", {"job": "shop"})]
    rs = sim.replicaset_of("app-0", "svc-0000")
    assert len(sim.pods_of("app-0", rs)) == 12
    status = sim.get("horizontalpodautoscalers", "app-0", "shop")["status"]
    assert status["currentReplicas"] == before and status["desiredReplicas"] == 12
    assert status["currentMetrics"] == [
        {"type": "External", "external": {"metric": {"name": "shop_rps"},
                                          "current": {"averageValue": "6"}}}]
    assert "lastScaleTime" in status
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions == {"AbleToScale": "True", "ScalingActive": "True",
                          "ScalingLimited": "False"}
    # Load gone: the 5-minute down window holds, then it scales in to minReplicas.
    rps["value"] = 0.1
    assert controller.sync(1015.0)[("app-0", "shop")].desired == 12
    assert controller.sync(1301.0)[("app-0", "shop")].desired == 2
    assert sim.get("deployments", "app-0", "svc-0000")["spec"]["replicas"] == 2
