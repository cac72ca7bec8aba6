"""entropy: the kernel's random pool, from ``/proc/sys/kernel/random``."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge


class EntropyCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        avail = float(self.source.proc("sys/kernel/random/entropy_avail"))
        yield gauge("node_entropy_available_bits", "Bits of available entropy.", avail)
        pool = float(self.source.proc("sys/kernel/random/poolsize"))
        yield gauge("node_entropy_pool_size_bits", "Bits of entropy pool.", pool)


def build(source: NodeSource, options: NodeOptions) -> EntropyCollector:
    return EntropyCollector(source)
