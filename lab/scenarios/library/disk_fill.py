"""Disks filling up at a steady, predictable rate (predict_linear sees it
coming hours ahead)."""

from lab.scenarios.scenario import Fault, Scenario, fires
from lab.scenarios.shapes import ramp
from lab.scenarios.targets import Node, Volume


class DiskFill(Scenario):
    name = "disk-fill"
    description = (
        "Debug logging left on after a release fills node-3's root filesystem at a steady "
        "rate, while the postgres volume grows with an unvacuumed table; both are cleaned "
        "up once the alerts are handled."
    )
    duration = "4h30m"
    baseline = "1h"
    seed = 31
    targets = (
        Node("node-1", ip="10.0.0.10"),
        Node("node-3", ip="10.0.0.12"),
        Volume("data-postgres-0", node="node-1", size_gib=50.0, used=0.3),
    )
    faults = (
        Fault("debug logging", at="1h", target="node-3", knob="disk",
              shape=ramp(0.62, over="2h30m", hold="30m")),
        Fault("table bloat", at="1h", target="data-postgres-0", knob="used",
              shape=ramp(0.69, over="2h30m", hold="30m")),
    )
    expect = (
        fires("NodeFilesystemSpaceFillingUp", after="debug logging", within="1h45m",
              resolves_within="5m", severity="warning", instance="node-3:9100", mountpoint="/"),
        fires("NodeFilesystemSpaceFillingUp", after="debug logging", within="2h30m",
              resolves_within="5m", severity="critical", instance="node-3:9100"),
        fires("NodeFilesystemAlmostOutOfSpace", after="debug logging", within="3h",
              resolves_within="5m", instance="node-3:9100"),
        fires("KubePersistentVolumeFillingUp", after="table bloat", within="2h45m",
              resolves_within="5m", severity="warning", persistentvolumeclaim="data-postgres-0"),
        fires("KubePersistentVolumeFillingUp", after="table bloat", within="3h",
              resolves_within="5m", severity="critical", persistentvolumeclaim="data-postgres-0"),
    )
