"""A memory leak: pods creep up to their limit and get OOM killed; the node
they share runs short too, thrashes, and the kernel OOM killer wakes up."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import ramp, sawtooth
from lab.scenarios.targets import Deployment, Node


class MemoryPressure(Scenario):
    name = "memory-pressure-oom"
    description = (
        "A cache without eviction leaks memory in two cart pods until they hit their limit "
        "and are OOM killed over and over; node-1 runs out of memory at the same time, "
        "major page faults soar and the kernel OOM killer runs."
    )
    duration = "3h30m"
    baseline = "1h"
    seed = 23
    targets = (
        Node("node-1", ip="10.0.0.10"),
        Node("node-2", ip="10.0.0.11"),
        Deployment("cart", replicas=3, nodes=("node-1", "node-2")),
    )
    faults = (
        Fault("leak", at="1h", target="cart", knob="memory", members=(0, 1),
              shape=ramp(0.45, over="30m", hold="20m")),
        Fault("OOM kills", at="1h50m", target="cart", knob="memory", members=(0, 1),
              shape=ramp(0.45, over="1s") + sawtooth(0.12, period="5m", cycles=6)),
        Fault("node memory exhausted", at="1h", target="node-1", knob="memory",
              shape=ramp(0.53, over="40m", hold="40m")),
    )
    expect = (
        fires("KubeContainerMemoryNearLimit", after="leak", within="35m", container="cart"),
        fires("KubeContainerOOMKilled", after="OOM kills", within="10m", resolves_within="15m",
              container="cart"),
        fires("NodeMemoryHighUtilisation", after="node memory exhausted", within="1h",
              resolves_within="10m", instance="node-1:9100"),
        fires("NodeMemoryMajorPageFaults", after="node memory exhausted", within="1h",
              resolves_within="10m", instance="node-1:9100"),
        fires("NodeOOMKillDetected", after="node memory exhausted", within="50m",
              resolves_within="10m", instance="node-1:9100"),
    )
