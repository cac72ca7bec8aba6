"""loadavg: ``node_load1/5/15`` from ``/proc/loadavg``."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge


class LoadavgCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        parts = self.source.proc("loadavg").split()
        if len(parts) < 3:
            raise CollectorError(f"unexpected /proc/loadavg content: {' '.join(parts)!r}")
        for minutes, text in zip(("1", "5", "15"), parts[:3], strict=True):
            yield gauge(f"node_load{minutes}", f"{minutes}m load average.", float(text))


def build(source: NodeSource, options: NodeOptions) -> LoadavgCollector:
    return LoadavgCollector(source)
