"""Node exporter: scrape latency and memory of ``promlab node-exporter`` vs the
real node_exporter, on this machine, in the same run.

Starts both with their default collectors on free loopback ports, warms them
up, then alternates scrapes (ours, theirs, ours, ...) so both see the same
load on the shared machine. Prints median and p99 scrape latency (full GET of
``/metrics``, uncompressed), the RSS of each process after the scrapes
(``VmRSS``), the ratios, and whether numpy got into our process. Then, in
this process, times a scrape with the collectors run one after the other vs
on a thread pool, which is why the exporter runs them sequentially.

Targets (issue 6): latency ratio <= 1.0, our RSS <= 40 MB.

    .venv/bin/python bench/node_exporter.py [--scrapes 300]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE_NAMES = ("prometheus-node-exporter", "node_exporter")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        body: bytes = resp.read()
        return body


@contextmanager
def started(argv: list[str], url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(url)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def has_numpy(pid: int) -> bool:
    return "numpy" in Path(f"/proc/{pid}/maps").read_text()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def in_process_strategies(repeat: int) -> tuple[float, float]:
    """Median seconds of one full collection: sequential vs a thread pool."""
    from exporters.common.exposition import render
    from exporters.node.collectors import DEFAULTS
    from exporters.node.exporter import NodeExporter
    from exporters.node.options import NodeOptions
    from exporters.node.source import HostSource

    node = NodeExporter(HostSource(), NodeOptions(), list(DEFAULTS))
    pool = ThreadPoolExecutor(max_workers=4)

    def collected(collector: Any) -> list[Any]:
        return list(collector.collect())

    def threaded() -> bytes:
        futures = [pool.submit(collected, c) for c in node.collectors.values()]
        return render(m for f in futures for m in f.result())

    def sequential() -> bytes:
        return render(node.collect())

    for _ in range(20):
        sequential()
        threaded()
    seq, thr = [], []
    for _ in range(repeat):
        seq.append(timed(sequential))
        thr.append(timed(threaded))
    pool.shutdown()
    return statistics.median(seq), statistics.median(thr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrapes", type=int, default=300)
    args = parser.parse_args()
    reference = next((p for n in REFERENCE_NAMES if (p := shutil.which(n))), None)
    if reference is None:
        sys.exit("node_exporter not found on PATH (install prometheus-node-exporter)")
    ours_port, theirs_port = free_port(), free_port()
    ours_url = f"http://127.0.0.1:{ours_port}/metrics"
    theirs_url = f"http://127.0.0.1:{theirs_port}/metrics"
    with tempfile.TemporaryDirectory() as tmp:
        ours_argv = [sys.executable, "-m", "lab", "node-exporter",
                     f"--web.listen-address=127.0.0.1:{ours_port}"]  # fmt: skip
        theirs_argv = [reference, f"--web.listen-address=127.0.0.1:{theirs_port}"]
        with (
            started(ours_argv, ours_url, Path(tmp) / "ours.log") as ours,
            started(theirs_argv, theirs_url, Path(tmp) / "theirs.log") as theirs,
        ):
            for _ in range(20):
                get(ours_url)
                get(theirs_url)
            ours_t: list[float] = []
            theirs_t: list[float] = []
            for _ in range(args.scrapes):
                ours_t.append(timed(lambda: get(ours_url)))
                theirs_t.append(timed(lambda: get(theirs_url)))
            ours_size, theirs_size = len(get(ours_url)), len(get(theirs_url))
            ours_rss, theirs_rss = rss_mb(ours.pid), rss_mb(theirs.pid)
            numpy_loaded = has_numpy(ours.pid)
    om, tm = statistics.median(ours_t), statistics.median(theirs_t)
    o99, t99 = p99(ours_t), p99(theirs_t)
    print(f"scrapes: {args.scrapes} each, alternating; body {ours_size} vs {theirs_size} bytes")
    print(f"{'':24}{'promlab':>12}{'node_exporter':>15}{'ratio':>9}")
    print(f"{'latency median (ms)':24}{om * 1e3:12.2f}{tm * 1e3:15.2f}{om / tm:9.2f}")
    print(f"{'latency p99 (ms)':24}{o99 * 1e3:12.2f}{t99 * 1e3:15.2f}{o99 / t99:9.2f}")
    print(f"{'RSS (MB)':24}{ours_rss:12.1f}{theirs_rss:15.1f}{ours_rss / theirs_rss:9.2f}")
    print(f"numpy in our process: {numpy_loaded}; RSS budget 40 MB: "
          f"{'met' if ours_rss <= 40 else 'NOT met'}")  # fmt: skip
    seq, thr = in_process_strategies(repeat=max(50, args.scrapes // 3))
    print(f"in-process collection: sequential {seq * 1e3:.2f} ms, thread pool {thr * 1e3:.2f} ms "
          f"(pool/sequential {thr / seq:.2f})")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
