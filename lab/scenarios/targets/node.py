"""A simulated Linux node: what promlab's node exporter (and node_exporter)
exposes, plus the kube-state-metrics node series when it is a cluster node.

Knobs (one row): ``cpu`` busy fraction, ``memory`` used fraction, ``disk``
used fraction of ``/``, ``net_errors`` errors per second, ``down`` (1 = the
exporter cannot be scraped; when it comes back the node has rebooted, so
every counter starts again from zero and ``node_boot_time_seconds`` moves).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from lab.scenarios.targets.base import (
    F64,
    B,
    Grid,
    Scrape,
    counter,
    moving_average,
    one_of,
    rising,
    wave,
)

GIB = 1024.0**3
#: share of busy CPU time per mode (idle is the rest)
BUSY_MODES = {
    "user": 0.64,
    "system": 0.24,
    "iowait": 0.05,
    "softirq": 0.03,
    "irq": 0.01,
    "steal": 0.02,
    "nice": 0.01,
}
FILESYSTEMS = (
    # device, mountpoint, fstype, size GiB, follows the ``disk`` knob
    ("/dev/nvme0n1p2", "/", "ext4", 1.0, True),
    ("/dev/nvme0n1p1", "/boot/efi", "vfat", 0.005, False),
)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    cpus: int = 4
    memory_gib: float = 16.0
    disk_gib: float = 100.0
    cpu: float = 0.22
    memory: float = 0.45
    disk: float = 0.35
    job: str = "node"
    kubernetes: bool = True
    ip: str = "10.0.0.10"

    @property
    def members(self) -> int:
        return 1

    @property
    def instance(self) -> str:
        return f"{self.name}:9100"

    def baseline(self) -> Mapping[str, float]:
        return {
            "cpu": self.cpu,
            "memory": self.memory,
            "disk": self.disk,
            "net_errors": 0.0,
            "down": 0.0,
        }

    def scrapes(self, grid: Grid, knobs: Mapping[str, F64], rng: np.random.Generator) -> Iterator[
        Scrape
    ]:
        n, dt = grid.steps, grid.dt
        down = knobs["down"][0] >= 0.5
        up = (~down).astype(np.float64)
        reboot = rising(~down) & np.concatenate([[False], down[:-1]])
        s = Scrape(self.job, self.instance, up)

        busy = np.clip(knobs["cpu"][0] + wave(grid, 86400, 0.04) + rng.normal(0, 0.02, n), 0.01, 1)
        # One counter per (cpu, mode), all computed as one matrix.
        per_cpu = np.clip(busy[None, :] + rng.normal(0, 0.03, (self.cpus, n)), 0.0, 1.0)
        shares = np.asarray([*BUSY_MODES.values(), 0.0])
        modes = [*BUSY_MODES, "idle"]
        inc = per_cpu[:, None, :] * shares[None, :, None] * dt
        inc[:, -1, :] = (1 - per_cpu) * dt
        initial: F64 = (3.6e5 * (1 + 0.1 * np.arange(self.cpus))[:, None] * np.where(
            shares > 0, shares, 1.0)[None, :]).astype(np.float64)
        cpu_seconds = counter(inc, reboot, initial)
        for cpu in range(self.cpus):
            for k, mode in enumerate(modes):
                s.add(cpu_seconds[cpu, k], "node_cpu_seconds_total", cpu=str(cpu), mode=mode)
        # Load counts runnable tasks: ~busy CPUs, plus a queue once they saturate.
        queue = np.maximum(busy - 0.85, 0.0) / 0.15 * 2.5
        load1 = np.maximum(self.cpus * busy * (1 + queue) + rng.normal(0, 0.05, n), 0.0)
        s.add(load1, "node_load1")
        s.add(moving_average(load1, round(300 / dt)), "node_load5")
        s.add(moving_average(load1, round(900 / dt)), "node_load15")

        self._memory(s, grid, knobs["memory"][0], reboot, rng)
        self._filesystems(s, grid, knobs["disk"][0], rng)
        self._network(s, grid, busy, knobs["net_errors"][0], reboot, rng)
        last_boot = np.maximum.accumulate(np.where(reboot, np.arange(n), -1))
        boot_time = np.where(
            last_boot >= 0, grid.unix[np.maximum(last_boot, 0)] - 30, grid.unix[0] - 86400 * 12
        )
        s.add(np.round(boot_time).astype(np.float64), "node_boot_time_seconds")
        io = counter(dt * np.clip(0.05 + 0.3 * busy, 0, 1), reboot, 5e4)
        s.add(io, "node_disk_io_time_seconds_total", device="nvme0n1")
        s.add(np.ones(n), "node_uname_info", sysname="Linux", release="6.1.0-26-amd64",
              version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1", machine="x86_64",
              nodename=self.name, domainname="(none)")
        yield s
        if self.kubernetes:
            yield self._kube_state(grid, down)

    def _memory(self, s: Scrape, grid: Grid, used: F64, reboot: B, rng: np.random.Generator
                ) -> None:
        n = grid.steps
        total = self.memory_gib * GIB
        frac = np.clip(used + rng.normal(0, 0.005, n), 0.02, 0.995)
        available = total * (1 - frac)
        s.add(np.full(n, total), "node_memory_MemTotal_bytes")
        s.add(np.round(available), "node_memory_MemAvailable_bytes")
        s.add(np.round(available * 0.3), "node_memory_MemFree_bytes")
        s.add(np.round(available * 0.55), "node_memory_Cached_bytes")
        s.add(np.full(n, round(total * 0.015)), "node_memory_Buffers_bytes")
        s.add(np.full(n, 0.0), "node_memory_SwapTotal_bytes")
        # Major faults and OOM kills start only once memory is nearly gone.
        pressure = np.clip((frac - 0.9) / 0.09, 0, 1)
        faults = rng.poisson(grid.dt * (2 + 2000 * pressure)).astype(np.float64)
        s.add(counter(faults, reboot, 1e5), "node_vmstat_pgmajfault")
        kills = (rng.random(n) < pressure * 0.2 * (frac > 0.97)).astype(np.float64)
        s.add(counter(kills, reboot), "node_vmstat_oom_kill")

    def _filesystems(self, s: Scrape, grid: Grid, used: F64, rng: np.random.Generator) -> None:
        n = grid.steps
        for device, mountpoint, fstype, scale, follows in FILESYSTEMS:
            size = np.full(n, round(self.disk_gib * scale * GIB / 4096) * 4096.0)
            frac = np.clip(used, 0, 1) if follows else np.full(n, 0.08)
            # Files come and go: a little jitter on top of the trend.
            frac = np.clip(frac + rng.normal(0, 0.0005, n), 0, 1)
            free = np.round(size * (1 - frac) / 4096) * 4096
            avail = np.maximum(free - 0.05 * size * (fstype == "ext4"), 0)
            labels = {"device": device, "mountpoint": mountpoint, "fstype": fstype}
            s.add(size, "node_filesystem_size_bytes", **labels)
            s.add(free, "node_filesystem_free_bytes", **labels)
            s.add(avail, "node_filesystem_avail_bytes", **labels)
            s.add(np.full(n, 6.5e6 * scale), "node_filesystem_files", **labels)
            s.add(np.round(6.5e6 * scale * (1 - 0.3 * frac)), "node_filesystem_files_free",
                  **labels)
            s.add(np.zeros(n), "node_filesystem_readonly", **labels)

    def _network(self, s: Scrape, grid: Grid, busy: F64, errors: F64, reboot: B,
                 rng: np.random.Generator) -> None:
        dt = grid.dt
        pps = 800 + 4000 * busy
        for direction, share in (("receive", 1.0), ("transmit", 0.8)):
            packets = rng.poisson(pps * share * dt).astype(np.float64)
            s.add(counter(packets * 900, reboot, 5e11), f"node_network_{direction}_bytes_total",
                  device="eth0")
            s.add(counter(packets, reboot, 6e8), f"node_network_{direction}_packets_total",
                  device="eth0")
            errs = rng.poisson(np.maximum(errors, 0) * share * dt).astype(np.float64)
            s.add(counter(errs, reboot), f"node_network_{direction}_errs_total", device="eth0")
            s.add(counter(np.floor(errs / 3), reboot), f"node_network_{direction}_drop_total",
                  device="eth0")
        s.add(np.ones(grid.steps), "node_network_up", device="eth0")

    def _kube_state(self, grid: Grid, down: B) -> Scrape:
        """The node object as kube-state-metrics reports it. The kubelet stops
        posting status when the node dies; after the 40 s grace period the
        node controller sets Ready to Unknown."""
        n = grid.steps
        grace = max(1, round(40 / grid.dt))
        unknown = moving_average(down.astype(np.float64), grace) >= 1.0
        s = Scrape("kube-state-metrics", "kube-state-metrics:8080", np.ones(n))
        current = np.where(unknown, 2, 0)
        for status, values in one_of(("true", "false", "unknown"), current):
            s.add(values, "kube_node_status_condition", node=self.name, condition="Ready",
                  status=status)
        s.add(np.ones(n), "kube_node_info", node=self.name, kernel_version="6.1.0-26-amd64",
              os_image="Debian GNU/Linux 12 (bookworm)", container_runtime_version="containerd://1.7.22",
              kubelet_version="v1.31.2", kubeproxy_version="v1.31.2", internal_ip=self.ip)
        s.add(np.full(n, self.cpus - 0.1), "kube_node_status_allocatable", node=self.name,
              resource="cpu", unit="core")
        s.add(np.full(n, self.memory_gib * GIB * 0.94), "kube_node_status_allocatable",
              node=self.name, resource="memory", unit="byte")
        s.add(np.zeros(n), "kube_node_spec_unschedulable", node=self.name)
        return s
