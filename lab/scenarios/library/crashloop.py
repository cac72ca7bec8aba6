"""A pod crash-loops after a bad config push to one replica."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import step
from lab.scenarios.targets import web_service


class CrashLoop(Scenario):
    name = "crashloop"
    description = (
        "One payments pod reads a malformed config map and exits at start-up; the kubelet "
        "restarts it with a growing back-off (CrashLoopBackOff) for 50 minutes until the "
        "config is fixed."
    )
    duration = "2h30m"
    baseline = "1h"
    seed = 5
    targets = (web_service("payments", replicas=3, rps=40.0),)
    faults = (
        Fault("bad config", at="1h", target="payments", knob="crash", members=(1,),
              shape=step(1.0, for_="50m")),
    )
    expect = (
        fires("KubePodCrashLooping", after="bad config", within="20m", resolves_within="10m",
              container="payments"),
        fires("KubePodNotReady", after="bad config", within="15m", resolves_within="5m"),
        fires("KubeDeploymentReplicasMismatch", after="bad config", within="20m",
              resolves_within="5m", deployment="payments"),
        fires("TargetDown", after="bad config", within="15m", resolves_within="5m",
              job="payments"),
    )
