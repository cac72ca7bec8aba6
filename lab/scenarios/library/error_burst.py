"""A burst of 5xx after a bad deploy, then a long tail from a flaky
dependency: exercises every window of the SLO burn-rate alerts."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import plateau
from lab.scenarios.targets import web_service


class ErrorBurst(Scenario):
    name = "error-burst"
    description = (
        "A bad deploy makes checkout fail 12% of requests for 25 minutes until it is rolled "
        "back; a flaky payment provider keeps 3% of requests failing for three and a half "
        "hours, slowly burning the 30-day error budget."
    )
    duration = "5h"
    baseline = "1h"
    seed = 500
    targets = (web_service("checkout", replicas=3, rps=80.0),)
    faults = (
        Fault("bad deploy", at="1h", target="checkout", knob="errors",
              shape=plateau(0.12, hold="25m")),
        Fault("flaky provider", at="1h", target="checkout", knob="errors",
              shape=plateau(0.03, hold="3h30m")),
    )
    expect = (
        fires("ServiceHighErrorRate", after="bad deploy", within="15m", resolves_within="10m"),
        fires("ServiceErrorBudgetBurn", after="bad deploy", within="10m", long="1h",
              severity="critical"),
        fires("ServiceErrorBudgetBurn", after="flaky provider", within="30m", long="6h",
              severity="critical"),
        fires("ServiceErrorBudgetBurn", after="flaky provider", within="1h20m", long="1d",
              severity="warning"),
        fires("ServiceErrorBudgetBurn", after="flaky provider", within="3h20m", long="3d",
              severity="warning"),
        fires("ServiceErrorBudgetBurn", after="flaky provider", within="10m", long="1h",
              resolves_within="10m", severity="critical"),
    )
