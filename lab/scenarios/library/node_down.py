"""A node loses power: its exporter stops answering, Kubernetes marks it
NotReady; after the reboot every counter starts from zero."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import stop
from lab.scenarios.targets import Node


class NodeDown(Scenario):
    name = "node-down"
    description = (
        "node-2's power supply fails: the node exporter stops answering and the node "
        "controller marks the node NotReady; 30 minutes later it boots again (counters "
        "reset, new boot time)."
    )
    duration = "2h30m"
    baseline = "1h"
    seed = 2
    targets = (Node("node-1", ip="10.0.0.10"), Node("node-2", ip="10.0.0.11"))
    faults = (Fault("power loss", at="1h", target="node-2", knob="down", shape=stop(for_="30m")),)
    expect = (
        fires("NodeExporterDown", after="power loss", within="10m", resolves_within="3m",
              instance="node-2:9100"),
        fires("TargetDown", after="power loss", within="15m", resolves_within="3m",
              instance="node-2:9100"),
        fires("KubeNodeNotReady", after="power loss", within="10m", resolves_within="3m",
              node="node-2"),
    )
