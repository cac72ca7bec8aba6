"""A slow dependency: every request waits on it, so latency climbs."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import noise, ramp
from lab.scenarios.targets import web_service


class LatencyDegradation(Scenario):
    name = "latency-degradation"
    description = (
        "The search service's database loses an index: queries slow down progressively "
        "over 30 minutes until the p99 is several seconds, then the index is rebuilt."
    )
    duration = "2h30m"
    baseline = "1h"
    seed = 77
    targets = (web_service("search", replicas=3, rps=50.0),)
    faults = (
        Fault("missing index", at="1h", target="search", knob="latency",
              shape=ramp(30.0, over="30m", hold="25m") + noise(0.5)),
    )
    expect = (
        fires("ServiceLatencyHigh", after="missing index", within="35m", resolves_within="10m",
              severity="warning", job="search"),
        fires("ServiceLatencyHigh", after="missing index", within="45m", resolves_within="10m",
              severity="critical", job="search"),
    )
