"""A short latency incident: the one CI also runs live (under a minute at x60)."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import plateau
from lab.scenarios.targets import web_service


class SlowCheckout(Scenario):
    name = "slow-checkout"
    description = (
        "The checkout service's payment provider answers slowly for 20 minutes: every "
        "request waits on it, the p99 goes past 2.5 s, then the provider recovers. Short "
        "enough to run live (promlab scenario live slow-checkout: 50 s at x60)."
    )
    duration = "50m"
    baseline = "10m"
    seed = 404
    targets = (web_service("checkout", replicas=2, rps=40.0),)
    faults = (
        Fault("slow provider", at="10m", target="checkout", knob="latency",
              shape=plateau(40.0, hold="20m", rise="1m", fall="1m")),
    )
    expect = (
        fires("ServiceLatencyHigh", after="slow provider", within="22m", resolves_within="15m",
              severity="warning", job="checkout"),
        fires("ServiceLatencyHigh", after="slow provider", within="18m", resolves_within="15m",
              severity="critical", job="checkout"),
    )
