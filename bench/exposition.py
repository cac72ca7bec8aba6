"""Exposition parsing speed: promlab's parser vs prometheus_client's, same bytes.

Generates a ~100k-line node_exporter-like payload (HELP/TYPE for every family,
per-CPU / per-device / per-mount / per-unit label sets, counters and gauges in
Go float formatting, a few histograms and summaries, some escaped label
values) and times, in the same run:

* ``exporters.common.exposition.parse_text`` -> a ``SampleBatch`` with every
  sample's ``Labels`` built (the full result, nothing lazy);
* ``prometheus_client.parser.text_string_to_metric_families``, fully consumed
  (every family and sample materialised).

Both get the decoded ``str`` (ours accepts bytes too; decoding costs ~3 ms).
Prints the best CPU time of ``--repeat`` runs for each and the ratio. The target is ratio >= 5.

    .venv/bin/python bench/exposition.py [--lines 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from exporters.common.exposition import format_float, parse_text

MODES = ("idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user")
BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")


def _family(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}" if pairs else ""


def node_payload(target_lines: int = 100_000, seed: int = 1) -> str:
    """A node_exporter-like scrape with about ``target_lines`` lines."""
    rnd = random.Random(seed)
    out: list[str] = []
    host = 0
    while sum(chunk.count("\n") for chunk in out) < target_lines:
        host += 1
        # One "host" worth of families; the host index keeps family names unique.
        h = f"_h{host}" if host > 1 else ""
        cpus = [(("cpu", str(c)),) for c in range(32)]
        _family(
            out, f"node_cpu{h}_seconds_total", "counter", "Seconds the CPUs spent in each mode."
        )
        for (cpu,) in cpus:
            for mode in MODES:
                value = format_float(round(rnd.uniform(0, 5e6), 2))
                out.append(f"node_cpu{h}_seconds_total{_labels((cpu, ('mode', mode)))} {value}\n")
        devices = [(("device", f"eth{i}"),) for i in range(24)]
        for stat in (
            "bytes",
            "packets",
            "errs",
            "drop",
            "fifo",
            "frame",
            "compressed",
            "multicast",
        ):
            for direction in ("receive", "transmit"):
                name = f"node_network{h}_{direction}_{stat}_total"
                _family(out, name, "counter", f"Network device statistic {direction}_{stat}.")
                for dev in devices:
                    out.append(f"{name}{_labels(dev)} {format_float(rnd.randrange(10**13))}\n")
        mounts = [
            (
                ("device", f"/dev/sd{chr(97 + i % 26)}{i}"),
                ("fstype", "ext4"),
                ("mountpoint", f"/var/lib/data{i}"),
            )
            for i in range(40)
        ]
        for stat in (
            "avail_bytes",
            "free_bytes",
            "size_bytes",
            "files",
            "files_free",
            "readonly",
            "device_error",
        ):
            name = f"node_filesystem{h}_{stat}"
            _family(out, name, "gauge", f"Filesystem {stat.replace('_', ' ')}.")
            for mount in mounts:
                out.append(
                    f"{name}{_labels(mount)} {format_float(rnd.uniform(0, 4e12) // 4096 * 4096)}\n"
                )
        disks = [(("device", f"nvme{i}n1"),) for i in range(16)]
        for stat in (
            "reads_completed_total",
            "writes_completed_total",
            "read_bytes_total",
            "written_bytes_total",
            "io_time_seconds_total",
            "io_now",
        ):
            name = f"node_disk{h}_{stat}"
            _family(out, name, "counter" if stat.endswith("total") else "gauge", f"Disk {stat}.")
            for disk in disks:
                out.append(f"{name}{_labels(disk)} {format_float(rnd.uniform(0, 1e9))}\n")
        name = f"node_systemd{h}_unit_state"
        _family(out, name, "gauge", "Systemd unit")
        for u in range(120):
            unit = f"dev-disk-by\\\\x2duuid-{u:04x}.swap" if u % 10 == 0 else f"unit{u}.service"
            for state in ("activating", "active", "deactivating", "failed", "inactive"):
                labels = (("name", unit), ("state", state), ("type", "simple"))
                out.append(f"{name}{_labels(labels)} {1 if state == 'active' else 0}\n")
        name = f"node_scrape{h}_collector_duration_seconds"
        _family(out, name, "gauge", "node_exporter: Duration of a collector scrape.")
        for c in ("cpu", "diskstats", "filesystem", "netdev", "systemd", "meminfo", "textfile"):
            out.append(f'{name}{{collector="{c}"}} {format_float(rnd.uniform(0, 0.01))}\n')
        name = f"http{h}_request_duration_seconds"
        _family(out, name, "histogram", "A histogram of the request duration.")
        for handler in range(6):
            count = 0
            for le in BUCKETS:
                count += rnd.randrange(1000)
                out.append(f'{name}_bucket{{handler="/api/v{handler}",le="{le}"}} {count}\n')
            total = format_float(rnd.uniform(0, 1e4))
            out.append(f'{name}_sum{{handler="/api/v{handler}"}} {total}\n')
            out.append(f'{name}_count{{handler="/api/v{handler}"}} {count}\n')
        name = f"go{h}_gc_duration_seconds"
        _family(
            out, name, "summary", "A summary of the pause duration of garbage collection cycles."
        )
        for q in ("0", "0.25", "0.5", "0.75", "1"):
            out.append(f'{name}{{quantile="{q}"}} {format_float(rnd.uniform(0, 1e-3))}\n')
        out.append(f"{name}_sum 0.0123\n{name}_count 1234\n")
        for gauge, value in (
            ("load1", 0.52),
            ("load5", 0.61),
            ("memory_MemTotal_bytes", 1.6624308224e10),
            ("memory_MemAvailable_bytes", float("nan")),
            ("boot_time_seconds", 1.71e9),
        ):
            _family(out, f"node{h}_{gauge}", "gauge", f"{gauge}.")
            out.append(f"node{h}_{gauge} {format_float(value)}\n")
    return "".join(out)


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """Best CPU time of ``repeat`` runs: this process's CPU time, so the other
    work on a shared machine disturbs the figures less than wall time would."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def ours(payload: str) -> int:
    batch = parse_text(payload)
    return len(batch.labels) + len(batch.values)


def reference(payload: str) -> int:
    return sum(len(family.samples) for family in text_string_to_metric_families(payload))


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--lines", type=int, default=100_000)
    args.add_argument("--repeat", type=int, default=5)
    opts = args.parse_args()
    payload = node_payload(opts.lines)
    batch = parse_text(payload)
    assert len(batch) == reference(payload), "parsers disagree on the sample count"
    print(
        f"payload: {payload.count(chr(10))} lines, {len(batch)} samples, "
        f"{len(batch.families)} families, {len(payload) / 1e6:.1f} MB"
    )
    t_ours = best_of(opts.repeat, lambda: ours(payload))
    t_ref = best_of(opts.repeat, lambda: reference(payload))
    print(
        f"promlab parse_text:                    {t_ours * 1e3:8.1f} ms "
        f"({t_ours / len(batch) * 1e6:.2f} us/sample)"
    )
    print(
        f"prometheus_client text_string_to_...:  {t_ref * 1e3:8.1f} ms "
        f"({t_ref / len(batch) * 1e6:.2f} us/sample)"
    )
    print(f"ratio (prometheus_client / promlab):   {t_ref / t_ours:8.1f}x  (target >= 5x)")


if __name__ == "__main__":
    main()
