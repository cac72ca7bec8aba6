"""uname: ``node_uname_info`` from the uname(2) fields."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..options import NodeOptions
from ..source import NodeSource
from .families import gauges


class UnameCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        u = self.source.uname()
        fam = gauges(
            "node_uname_info",
            "Labeled system information as provided by the uname system call.",
            ["domainname", "machine", "nodename", "release", "sysname", "version"],
        )
        fam.add_metric([u.domainname, u.machine, u.nodename, u.release, u.sysname, u.version], 1.0)
        yield fam


def build(source: NodeSource, options: NodeOptions) -> UnameCollector:
    return UnameCollector(source)
