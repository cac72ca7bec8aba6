"""A release puts the raw URL path in the ``route`` label: one new series
per user id, on every pod."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import ramp
from lab.scenarios.targets import web_service


class CardinalityExplosion(Scenario):
    name = "cardinality-explosion"
    description = (
        "catalog 2.3 labels requests with the raw path (/api/users/<id>) instead of the "
        "route template: every user id seen becomes a new series, ~1600 more per pod "
        "within ten minutes, until the release is rolled back an hour later."
    )
    duration = "3h"
    baseline = "1h15m"
    seed = 404
    targets = (web_service("catalog", replicas=2, rps=40.0),)
    faults = (
        Fault("raw paths as labels", at="1h15m", target="catalog", knob="cardinality",
              shape=ramp(800.0, over="10m", hold="50m")),
    )
    expect = (
        fires("TargetSeriesExplosion", after="raw paths as labels", within="25m",
              resolves_within="5m", job="catalog"),
    )
