"""pressure: Linux pressure stall information (PSI) from ``/proc/pressure``.

Totals are in microseconds; "some" is time at least one task waited, "full"
time all non-idle tasks stalled (node_exporter 1.5 reads cpu "some" only).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError, NoDataError
from ..options import NodeOptions
from ..source import NodeSource
from .families import counter

#: (resource, line, family, help)
FAMILIES: Final = (
    ("cpu", "some", "node_pressure_cpu_waiting_seconds_total",
     "Total time in seconds that processes have waited for CPU time"),
    ("io", "some", "node_pressure_io_waiting_seconds_total",
     "Total time in seconds that processes have waited due to IO congestion"),
    ("io", "full", "node_pressure_io_stalled_seconds_total",
     "Total time in seconds no process could make progress due to IO congestion"),
    ("memory", "some", "node_pressure_memory_waiting_seconds_total",
     "Total time in seconds that processes have waited for memory"),
    ("memory", "full", "node_pressure_memory_stalled_seconds_total",
     "Total time in seconds no process could make progress due to memory congestion"),
)  # fmt: skip


def parse_psi(text: str) -> dict[str, float]:
    """``some``/``full`` -> total in seconds."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        for item in rest.split():
            key, _, value = item.partition("=")
            if key == "total":
                try:
                    out[kind] = int(value) / 1000.0 / 1000.0  # as upstream: two divisions
                except ValueError:
                    raise CollectorError(f"invalid PSI line: {line!r}") from None
    return out


class PressureCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        parsed: dict[str, dict[str, float]] = {}
        for resource in ("cpu", "io", "memory"):
            try:
                parsed[resource] = parse_psi(self.source.proc(f"pressure/{resource}"))
            except FileNotFoundError:
                raise NoDataError("pressure: PSI is not available on this kernel") from None
        for resource, kind, name, help_text in FAMILIES:
            if kind in parsed[resource]:
                yield counter(name, help_text, parsed[resource][kind])


def build(source: NodeSource, options: NodeOptions) -> PressureCollector:
    return PressureCollector(source)
