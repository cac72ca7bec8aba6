"""A runaway process pins every core of one node for 40 minutes."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import noise, plateau
from lab.scenarios.targets import Node


class CpuSpike(Scenario):
    name = "cpu-spike"
    description = (
        "A runaway process (a stuck regex in a log shipper) pins every core of node-2 "
        "for 40 minutes; the run queue grows to several times the core count."
    )
    duration = "3h"
    baseline = "1h"
    seed = 11
    targets = (Node("node-1", ip="10.0.0.10"), Node("node-2", ip="10.0.0.11"))
    faults = (
        Fault("runaway process", at="1h", target="node-2", knob="cpu",
              shape=plateau(0.76, hold="40m", rise="3m", fall="2m") + noise(0.01)),
    )
    expect = (
        fires("NodeCPUHighUsage", after="runaway process", within="25m",
              resolves_within="15m", instance="node-2:9100"),
        fires("NodeSystemSaturation", after="runaway process", within="25m",
              resolves_within="20m", instance="node-2:9100"),
    )
