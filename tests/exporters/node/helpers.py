"""Shared by the node exporter tests: the fixture tree and small helpers."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from exporters.common.web import WebConfig
from exporters.common.web.threaded import Route, ThreadedServer
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


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and raw body (urllib does not decompress) of a GET."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@contextmanager
def serving(routes: Mapping[str, Route], config: WebConfig | None = None) -> Iterator[str]:
    """``routes`` on the stdlib adapter at a loopback port; yields the base URL."""
    server = ThreadedServer(routes, ["127.0.0.1:0"], config or WebConfig())
    url = server.start()[0]
    try:
        yield url
    finally:
        server.stop()
