"""time: the wall clock, the time zone, and the kernel clocksources (sysfs)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge, gauges

CLOCKSOURCE_DIR = "devices/system/clocksource"


class TimeCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        yield gauge(
            "node_time_seconds", "System time in seconds since epoch (1970).", self.source.time()
        )
        zone, offset = self.source.timezone()
        fam = gauges(
            "node_time_zone_offset_seconds", "System time zone offset in seconds.", ["time_zone"]
        )
        fam.add_metric([zone], float(offset))
        yield fam
        yield from self._clocksources()

    def _clocksources(self) -> Iterator[Metric]:
        try:
            entries = self.source.sys_list(CLOCKSOURCE_DIR)
        except OSError:
            return  # no sysfs clocksource: upstream logs and skips these
        available = gauges(
            "node_time_clocksource_available_info",
            "Available clocksources read from '/sys/devices/system/clocksource'.",
            ["clocksource", "device"],
        )
        current = gauges(
            "node_time_clocksource_current_info",
            "Current clocksource read from '/sys/devices/system/clocksource'.",
            ["clocksource", "device"],
        )
        for entry in entries:
            device = entry.removeprefix("clocksource")
            if device == entry or not device.isdigit():
                continue
            base = f"{CLOCKSOURCE_DIR}/{entry}"
            for name in sorted(self.source.sys(f"{base}/available_clocksource").split()):
                available.add_metric([name, device], 1.0)
            for name in self.source.sys(f"{base}/current_clocksource").split():
                current.add_metric([name, device], 1.0)
        yield available
        yield current


def build(source: NodeSource, options: NodeOptions) -> TimeCollector:
    return TimeCollector(source)
