"""A nightly-style batch job fails, its pushes get rejected, then it stops
running altogether and its Pushgateway group goes stale."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import step
from lab.scenarios.targets import BatchJob


class BatchStale(Scenario):
    name = "batch-stale"
    description = (
        "The invoice-export job (every 10 minutes) starts failing on an expired credential; "
        "a hotfix then pushes a metric with the wrong type (rejected by the Pushgateway); "
        "finally the CronJob is suspended by mistake and nothing is pushed for over an hour. "
        "Everything recovers at 4h25m."
    )
    duration = "5h"
    baseline = "1h"
    seed = 9
    targets = (BatchJob("invoice-export"), BatchJob("search-reindex", period_s=900.0))
    faults = (
        Fault("expired credential", at="1h5m", target="invoice-export", knob="fail",
              shape=step(1.0, for_="1h40m")),
        Fault("rejected pushes", at="2h45m", target="invoice-export", knob="rejected",
              shape=step(1.0, for_="20m")),
        Fault("cronjob suspended", at="3h5m", target="invoice-export", knob="stopped",
              shape=step(1.0, for_="1h20m")),
    )
    expect = (
        fires("BatchJobFailed", after="expired credential", within="15m",
              resolves_within="15m", recovery="cronjob suspended", job="invoice-export"),
        fires("BatchJobSuccessOverdue", after="expired credential", within="1h20m",
              resolves_within="15m", recovery="cronjob suspended", job="invoice-export"),
        fires("PushgatewayPushFailed", after="rejected pushes", within="15m",
              resolves_within="15m", recovery="cronjob suspended", job="invoice-export"),
        fires("PushgatewayGroupStale", after="cronjob suspended", within="1h15m",
              resolves_within="15m", job="invoice-export"),
    )
