"""cpu: per-CPU time by mode from ``/proc/stat``, guest time, thermal throttles.

``/proc/stat`` counts in USER_HZ ticks; upstream (the procfs library)
divides by a fixed 100, which is USER_HZ on every Linux ABI, and so do we.

The kernel's per-CPU counters can step backwards a little (idle/iowait
accounting on NO_HZ kernels). As upstream, a value lower than the last one
is ignored unless it dropped by more than ``JUMP_BACK_S`` (a CPU that went
offline and came back), so the series stay monotonic for ``rate()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Final

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import NodeOptions
from ..source import NodeSource
from .families import counters

USER_HZ: Final = 100.0
JUMP_BACK_S: Final = 3.0
#: /proc/stat cpu columns in order; guest and guest_nice are reported apart.
MODES: Final = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
GUEST_MODES: Final = ("user", "nice")


def parse_cpu_lines(text: str) -> dict[str, list[float]]:
    """``cpuN`` -> the 10 columns in seconds (missing trailing columns are 0)."""
    out: dict[str, list[float]] = {}
    for line in text.splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        parts = line.split()
        cpu = parts[0][3:]
        try:
            values = [int(v) / USER_HZ for v in parts[1:11]]
        except ValueError:
            raise CollectorError(f"invalid /proc/stat line: {line!r}") from None
        out[cpu] = values + [0.0] * (10 - len(values))
    return out


class CpuCollector:
    def __init__(self, source: NodeSource, guest: bool) -> None:
        self.source = source
        self.guest = guest
        self._last: dict[str, list[float]] = {}
        self._lock = threading.Lock()  # concurrent scrapes share _last

    def _monotonic(self, stats: dict[str, list[float]]) -> dict[str, list[float]]:
        with self._lock:
            for cpu, values in stats.items():
                last = self._last.get(cpu)
                if last is not None:
                    for i, (new, old) in enumerate(zip(values, last, strict=True)):
                        if new < old and old - new < JUMP_BACK_S:
                            values[i] = old
                self._last[cpu] = values
            for cpu in set(self._last) - set(stats):
                del self._last[cpu]  # an offlined CPU starts afresh when it returns
        return stats

    def collect(self) -> Iterator[Metric]:
        stats = self._monotonic(parse_cpu_lines(self.source.proc("stat")))
        if not stats:
            raise CollectorError("/proc/stat has no per-CPU lines")
        cpus = sorted(stats, key=int)
        seconds = counters(
            "node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", ["cpu", "mode"]
        )
        for cpu in cpus:
            values = stats[cpu]
            for mode, i in sorted((m, i) for i, m in enumerate(MODES)):
                seconds.add_metric([cpu, mode], values[i])
        yield seconds
        if self.guest:
            guest = counters(
                "node_cpu_guest_seconds_total",
                "Seconds the CPUs spent in guests (VMs) for each mode.",
                ["cpu", "mode"],
            )
            for cpu in cpus:
                guest.add_metric([cpu, "nice"], stats[cpu][9])
                guest.add_metric([cpu, "user"], stats[cpu][8])
            yield guest
        yield from self._throttles(cpus)

    def _throttles(self, cpus: list[str]) -> Iterator[Metric]:
        """``thermal_throttle`` counters, per core and per package, where sysfs has them."""
        cores: dict[tuple[str, str], float] = {}
        packages: dict[str, float] = {}
        for cpu in cpus:
            base = f"devices/system/cpu/cpu{cpu}"
            try:
                package = self.source.sys(f"{base}/topology/physical_package_id").strip()
                core = self.source.sys(f"{base}/topology/core_id").strip()
            except OSError:
                continue
            try:
                if (package, core) not in cores:
                    text = self.source.sys(f"{base}/thermal_throttle/core_throttle_count")
                    cores[(package, core)] = float(text)
                if package not in packages:
                    text = self.source.sys(f"{base}/thermal_throttle/package_throttle_count")
                    packages[package] = float(text)
            except OSError:
                continue
        if cores:
            fam = counters(
                "node_cpu_core_throttles_total",
                "Number of times this CPU core has been throttled.",
                ["core", "package"],
            )
            for (package, core), value in sorted(cores.items()):
                fam.add_metric([core, package], value)
            yield fam
        if packages:
            fam = counters(
                "node_cpu_package_throttles_total",
                "Number of times this CPU package has been throttled.",
                ["package"],
            )
            for package, value in sorted(packages.items()):
                fam.add_metric([package], value)
            yield fam


def build(source: NodeSource, options: NodeOptions) -> CpuCollector:
    return CpuCollector(source, options.cpu_guest)
