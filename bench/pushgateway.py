"""promlab pushgateway vs the real pushgateway, same run, same load.

PUT pushes/s with 8 concurrent clients over 1,000 groups (ours with durability
on: every push fsync'd to the log before the answer, group commit; upstream
with its default --persistence.file, which only writes every 5 minutes), then
/metrics latency with those 1,000 groups loaded. Prints both and the ratio.

    .venv/bin/python bench/pushgateway.py [--groups 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(argv: list[str], port: int, workdir: Path) -> Iterator[str]:
    log = (workdir / "log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/-/ready", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{argv[0]} did not start: see {workdir}/log") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def body(i: int, r: int) -> bytes:
    return (
        "# TYPE bench_duration_seconds gauge\n"
        f"bench_duration_seconds {i * 0.5 + r}\n"
        "# TYPE bench_records_total counter\n"
        f'bench_records_total{{kind="a"}} {i + r}\n'
        f'bench_records_total{{kind="b"}} {2 * i + r}\n'
        "# TYPE bench_last_success_unixtime gauge\n"
        f"bench_last_success_unixtime {1.7e9 + i}\n"
    ).encode()


async def push_load(url: str, groups: int, rounds: int) -> float:
    """Pushes per second for ``rounds`` PUTs to each of ``groups`` groups."""
    jobs = [(i, r) for r in range(rounds) for i in range(groups)]
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def worker(k: int) -> None:
            for i, r in jobs[k::CLIENTS]:
                async with session.put(
                    f"{url}/metrics/job/bench/instance/host{i}", data=body(i, r)
                ) as resp:
                    if resp.status not in (200, 202):
                        raise RuntimeError(f"push answered {resp.status}: {await resp.text()}")
                    await resp.read()

        start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(CLIENTS)))
        return len(jobs) / (time.perf_counter() - start)


def scrape_latency(url: str, n: int = 20) -> tuple[float, int]:
    times = []
    size = 0
    for _ in range(n):
        start = time.perf_counter()
        with urllib.request.urlopen(url + "/metrics", timeout=60) as resp:
            size = len(resp.read())
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    binary = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    if binary is None:
        sys.exit("the real pushgateway (prometheus-pushgateway) is not installed")
    results = {}
    with tempfile.TemporaryDirectory(prefix="promlab-bench-pg-") as tmp:
        for name, argv_of in (
            (
                "upstream",
                lambda port, d: [
                    binary,
                    f"--web.listen-address=127.0.0.1:{port}",
                    f"--persistence.file={d}/state",
                ],
            ),
            (
                "promlab",
                lambda port, d: [
                    sys.executable,
                    "-c",
                    "from lab.cli import main; main()",
                    "pushgateway",
                    f"--web.listen-address=127.0.0.1:{port}",
                    f"--persistence.file={d}/state",
                ],
            ),
        ):
            workdir = Path(tmp, name)
            workdir.mkdir()
            port = free_port()
            with server(argv_of(port, workdir), port, workdir) as url:
                rate = asyncio.run(push_load(url, args.groups, args.rounds))
                latency, size = scrape_latency(url)
            results[name] = (rate, latency, size)
            print(
                f"{name:9s} PUT pushes/s ({CLIENTS} clients, {args.groups} groups): "
                f"{rate:8.0f}   scrape p50: {latency:7.1f} ms ({size / 1e6:.2f} MB)"
            )
    (up_rate, up_lat, _), (our_rate, our_lat, _) = results["upstream"], results["promlab"]
    print(
        f"ratio promlab/upstream: pushes/s x{our_rate / up_rate:.2f} (target >= 10), "
        f"scrape latency x{our_lat / up_lat:.2f} (lower is better)"
    )


if __name__ == "__main__":
    main()
