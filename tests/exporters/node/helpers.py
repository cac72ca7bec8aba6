"""Shared by the node exporter tests: the fixture tree and small helpers."""

from __future__ import annotations

from pathlib import Path

from exporters.node.collectors import DEFAULTS
from exporters.node.options import NodeOptions
from exporters.node.source import HostSource, Paths

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = FIXTURES / "expected"
PATHS = Paths(
    procfs=str(FIXTURES / "proc"),
    sysfs=str(FIXTURES / "sys"),
    rootfs=str(FIXTURES / "root"),
    udev_data=str(FIXTURES / "udev"),
)
#: the fixture tree as flags, for both our exporter and the reference binary;
#: netlink off so that netdev reads <procfs>/net/dev on both sides
FIXTURE_FLAGS = [
    f"--path.procfs={PATHS.procfs}",
    f"--path.sysfs={PATHS.sysfs}",
    f"--path.rootfs={PATHS.rootfs}",
    f"--path.udev.data={PATHS.udev_data}",
    f"--collector.textfile.directory={FIXTURES / 'textfile'}",
    "--no-collector.netdev.netlink",
    "--collector.disable-defaults",
    *(f"--collector.{name}" for name in DEFAULTS),
]


def fixture_options(**overrides: object) -> NodeOptions:
    fields: dict[str, object] = {
        "paths": PATHS,
        "textfile_directory": str(FIXTURES / "textfile"),
        "netdev_netlink": False,
    }
    fields.update(overrides)
    return NodeOptions(**fields)  # type: ignore[arg-type]


def fixture_source() -> HostSource:
    return HostSource(PATHS)
