"""Traffic quintuples; a timid HPA scales the Deployment out from its CPU
metric, one pod every five minutes; saturation alerts fire, then resolve once
enough pods serve — while the traffic is still high."""

from lab.cluster.hpa import DEFAULT_DOWN, HpaSpec, MetricTarget, Policy, Rules
from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import constant, plateau
from lab.scenarios.targets import web_service
from lab.scenarios.targets.autoscaled import Autoscaled

MAX_PODS = 15
INITIAL = 3
#: per-pod CPU demand at INITIAL pods is 0.3 of the limit = 60 % of the request:
#: exactly the HPA's target, so nothing moves in the baseline
CPU_PER_ROW = 0.3 * INITIAL / MAX_PODS


class HpaScaleOut(Scenario):
    name = "hpa-scale-out"
    description = (
        "A marketing mail quintuples traffic to shop-api for an hour. Its HPA (CPU, 60 % of "
        "requests, 3-15 pods) may add only one pod every five minutes, so the pods saturate "
        "until it has scaled out; the saturation alerts resolve while the traffic is still "
        "high. Lesson: scale-up behaviour, not just the target, decides how long users suffer."
    )
    duration = "2h30m"
    baseline = "30m"
    seed = 2024
    targets = (
        Autoscaled(
            web_service("shop-api", replicas=MAX_PODS, rps=60.0, cpu=CPU_PER_ROW),
            hpa=HpaSpec(INITIAL, MAX_PODS, (MetricTarget("Resource", "cpu", "Utilization", 60.0),),
                        up=Rules(0.0, "Max", (Policy("Pods", 1, 300.0),)), down=DEFAULT_DOWN),
            initial=INITIAL,
        ),
    )
    faults = (
        Fault("traffic surge", at="30m", target="shop-api", knob="traffic",
              shape=plateau(4.0, hold="60m", rise="5m", fall="5m")),
        # A zero-intensity marker: the moment by which the HPA must have caught up
        # (its end is the "recovery" the saturation alerts must resolve after).
        Fault("HPA catches up", at="30m", target="shop-api", knob="traffic",
              shape=constant(0.0, for_="25m")),
    )
    expect = (
        fires("ServiceCPUSaturation", after="traffic surge", within="15m",
              resolves_within="10m", recovery="HPA catches up", severity="critical"),
        fires("ServiceCPUSaturation", after="traffic surge", within="20m",
              resolves_within="15m", recovery="HPA catches up", severity="warning"),
    )
