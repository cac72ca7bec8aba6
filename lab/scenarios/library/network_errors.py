"""A failing NIC (or cable): frames arrive damaged and transmits fail."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import noise, plateau
from lab.scenarios.targets import Node


class NetworkErrors(Scenario):
    name = "network-errors"
    description = (
        "A damaged cable on node-1 corrupts about 4% of frames in both directions for 40 "
        "minutes, until the cable is replaced."
    )
    duration = "2h30m"
    baseline = "1h"
    seed = 8
    targets = (Node("node-1", ip="10.0.0.10"), Node("node-2", ip="10.0.0.11"))
    faults = (
        Fault("damaged cable", at="1h", target="node-1", knob="net_errors",
              shape=plateau(80.0, hold="40m") + noise(5.0)),
    )
    expect = (
        fires("NodeNetworkReceiveErrs", after="damaged cable", within="25m",
              resolves_within="10m", instance="node-1:9100", device="eth0"),
        fires("NodeNetworkTransmitErrs", after="damaged cable", within="25m",
              resolves_within="10m", instance="node-1:9100", device="eth0"),
    )
