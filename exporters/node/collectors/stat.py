"""stat: kernel counters from ``/proc/stat`` (boot time, forks, context switches ...)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import NodeOptions
from ..source import NodeSource
from .families import counter, gauge


class StatCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        fields: dict[str, str] = {}
        for line in self.source.proc("stat").splitlines():
            parts = line.split(None, 2)
            if len(parts) >= 2 and not parts[0].startswith("cpu"):
                fields[parts[0]] = parts[1]  # for "intr", the first number is the total
        try:
            yield counter(
                "node_intr_total", "Total number of interrupts serviced.", float(fields["intr"])
            )
            yield counter(
                "node_context_switches_total",
                "Total number of context switches.",
                float(fields["ctxt"]),
            )
            yield counter("node_forks_total", "Total number of forks.", float(fields["processes"]))
            yield gauge(
                "node_boot_time_seconds", "Node boot time, in unixtime.", float(fields["btime"])
            )
            yield gauge(
                "node_procs_running",
                "Number of processes in runnable state.",
                float(fields["procs_running"]),
            )
            yield gauge(
                "node_procs_blocked",
                "Number of processes blocked waiting for I/O to complete.",
                float(fields["procs_blocked"]),
            )
        except KeyError as exc:
            raise CollectorError(f"/proc/stat has no {exc.args[0]!r} line") from None


def build(source: NodeSource, options: NodeOptions) -> StatCollector:
    return StatCollector(source)
