"""filefd: ``node_filefd_allocated`` / ``_maximum`` from ``/proc/sys/fs/file-nr``."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge


class FilefdCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        parts = self.source.proc("sys/fs/file-nr").split()
        if len(parts) != 3:
            raise CollectorError(f"unexpected file-nr content: {' '.join(parts)!r}")
        # file-nr is "allocated  free(always 0 since 2.6)  maximum".
        for name, text in (("allocated", parts[0]), ("maximum", parts[2])):
            yield gauge(f"node_filefd_{name}", f"File descriptor statistics: {name}.", float(text))


def build(source: NodeSource, options: NodeOptions) -> FilefdCollector:
    return FilefdCollector(source)
