"""One module per node_exporter collector, each with ``build(source, options)``.

``DEFAULTS`` lists the collectors this exporter implements and whether each is
enabled by default (as in node_exporter 1.5 on Linux). Modules are imported
only when their collector is enabled.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Protocol

from prometheus_client.metrics_core import Metric

from ..options import NodeOptions
from ..source import NodeSource


class Collector(Protocol):
    """prometheus_client's contract; raising means "this collector failed"."""

    def collect(self) -> Iterable[Metric]: ...


#: name -> enabled by default. Sorted, as upstream lists them.
DEFAULTS: dict[str, bool] = {
    "conntrack": True,
    "cpu": True,
    "diskstats": True,
    "entropy": True,
    "filefd": True,
    "filesystem": True,
    "loadavg": True,
    "meminfo": True,
    "netdev": True,
    "netstat": True,
    "os": True,
    "pressure": True,
    "sockstat": True,
    "stat": True,
    "textfile": True,
    "time": True,
    "timex": True,
    "uname": True,
    "vmstat": True,
}


def build(name: str, source: NodeSource, options: NodeOptions) -> Collector:
    """Import collector ``name``'s module and construct it."""
    module = importlib.import_module(f"{__name__}.{name}")
    collector: Collector = module.build(source, options)
    return collector
