"""A rollout that cannot progress: the new image tag does not exist."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import step
from lab.scenarios.targets import web_service


class RolloutStuck(Scenario):
    name = "rollout-stuck"
    description = (
        "frontend is updated to an image tag that was never pushed: the new pod waits in "
        "ImagePullBackOff, the rollout passes its progress deadline (10 minutes) and stalls "
        "with the old pods still serving, until it is rolled back 50 minutes later."
    )
    duration = "2h30m"
    baseline = "1h"
    seed = 3
    targets = (web_service("frontend", replicas=3, rps=30.0),)
    faults = (
        Fault("missing image", at="1h", target="frontend", knob="rollout",
              shape=step(1.0, for_="50m")),
    )
    expect = (
        fires("KubeDeploymentRolloutStuck", after="missing image", within="20m",
              resolves_within="5m", deployment="frontend"),
        fires("KubeContainerWaiting", after="missing image", within="20m",
              resolves_within="5m", reason="ImagePullBackOff"),
        fires("KubePodNotReady", after="missing image", within="15m", resolves_within="5m"),
    )
