"""Sharding and remote-write benchmarks, each figure with its anchor from the same run.

* query latency of ``promlab querier`` (the API over a ``MergeQueryable`` of
  three remote-read endpoints on loopback, each a ``MemoryStorage`` holding a
  hashmod third of the data) vs one API server over one ``MemoryStorage`` with
  all of it (the anchor), plus the querier over a single store (the cost of
  remote read alone);
* remote-write throughput (samples/s) of our WAL-backed sender into the real
  Prometheus 2.42 receiver (``--web.enable-remote-write-receiver``), vs the
  same sender into our own receiver over ``MemoryStorage`` (anchor).

    .venv/bin/python bench/sharding.py [--series 3000] [--samples 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from lab.model.labels import Labels
from lab.server.api.deps import ApiDeps
from lab.server.api.routes import build_app
from lab.server.remote.config import parse_remote_write
from lab.server.remote.queue_log import QueueLog
from lab.server.remote.read_server import read_handler
from lab.server.remote.receiver import write_handler
from lab.server.remote.sender import QueueManager
from lab.server.scrape.relabel import hashmod
from lab.server.sharding.global_querier import querier_app
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.remote.loopback import serve
from tests.reference import free_port

END_S = 1_700_000_000
QUERIES = ("sum(rate(bench_requests_total[5m]))",
           "sum by (job) (rate(bench_requests_total[5m]))",
           "bench_requests_total{instance=\"i7\"}")  # fmt: skip


def build_data(series: int, shards: int) -> tuple[MemoryStorage, list[MemoryStorage]]:
    whole, parts = MemoryStorage(), [MemoryStorage() for _ in range(shards)]
    ts = [(END_S - 3600 + 15 * i) * 1000 for i in range(241)]
    for i in range(series):
        instance = f"i{i % 100}"
        lset = Labels.of(__name__="bench_requests_total", job=f"j{i % 7}", instance=instance,
                         path=f"/p{i}")  # fmt: skip
        vs = [float(k * (i % 13 + 1)) for k in range(len(ts))]
        whole.add_series(lset, ts, vs)
        parts[hashmod(f"{instance}:9100", shards)].add_series(lset, ts, vs)
    return whole, parts


def timed(base: str, expr: str, kind: str, runs: int) -> float:
    params = {"query": expr}
    if kind == "range":
        params.update(start=str(END_S - 3600), end=str(END_S), step="60")
    else:
        params["time"] = str(END_S)
    url = f"{base}/api/v1/{'query_range' if kind == 'range' else 'query'}?"
    url += urllib.parse.urlencode(params)
    samples = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as resp:
            resp.read()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples[1:])


def read_app(storage: MemoryStorage) -> web.Application:
    app = web.Application(client_max_size=64 << 20)
    app.router.add_post("/api/v1/read", read_handler(storage))
    return app


def bench_query(series: int, runs: int) -> None:
    whole, parts = build_data(series, 3)
    print(f"query latency, {series} series x 241 samples (median of {runs})")
    deps = ApiDeps(queryable=whole, now_ms=lambda: END_S * 1000)
    with contextlib.ExitStack() as stack:
        single = stack.enter_context(serve(build_app(deps)))
        urls = [stack.enter_context(serve(read_app(p))) for p in parts]
        one_url = stack.enter_context(serve(read_app(whole)))
        gq3, gq1 = querier_app(urls), querier_app([one_url])
        q3 = stack.enter_context(serve(gq3.app))
        q1 = stack.enter_context(serve(gq1.app))
        print(f"  {'query':55} {'kind':6} {'server':>9} {'querier/1':>10} {'querier/3':>10}"
              f" {'ratio 3/server':>15}")  # fmt: skip
        for expr in QUERIES:
            for kind in ("instant", "range"):
                a = timed(single, expr, kind, runs)
                b = timed(q1, expr, kind, runs)
                c = timed(q3, expr, kind, runs)
                print(f"  {expr:55} {kind:6} {a * 1e3:7.1f}ms {b * 1e3:8.1f}ms {c * 1e3:8.1f}ms"
                      f" {c / a:14.2f}x")  # fmt: skip
        gq3.close()
        gq1.close()


async def send(url: str, n: int, workdir: Path) -> float:
    log = QueueLog(workdir / "q")
    cfg = parse_remote_write({"url": url, "queue_config": {
        "max_samples_per_send": 2000, "max_shards": 8, "capacity": 10000,
        "batch_send_deadline": "50ms"}})  # fmt: skip
    now = int(time.time() * 1000)
    per_commit = 5000
    for c in range(n // per_commit):
        app = log.appender()
        for i in range(per_commit):
            k = c * per_commit + i
            app.append(Labels.of(__name__="bench_rw", s=str(k % 1000)), now - 600_000 + k // 1000,
                       float(k))  # fmt: skip
        app.commit()
    m = QueueManager(log, cfg, workdir / "pos")
    t0 = time.perf_counter()
    task = asyncio.create_task(m.run())
    while m.stats.samples_sent + m.stats.samples_dropped < n:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - t0
    m.stop()
    await asyncio.wait_for(task, 60)
    await m.close()
    log.close()
    if m.stats.samples_dropped:
        print(f"  (dropped {m.stats.samples_dropped}: {url})")
    return n / elapsed


@contextlib.contextmanager
def real_prometheus(workdir: Path) -> Iterator[str | None]:
    binary = shutil.which("prometheus")
    if binary is None:
        yield None
        return
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "prometheus.yml").write_text("global: {}\n")
    with (workdir / "prometheus.log").open("wb") as logf:
        proc = subprocess.Popen([binary, f"--config.file={workdir}/prometheus.yml",
                                 f"--storage.tsdb.path={workdir}/data",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 "--web.enable-remote-write-receiver"],
                                stdout=logf, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(base + "/-/ready", timeout=2).read()
                break
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def bench_remote_write(n: int) -> None:
    print(f"remote-write throughput, {n} samples over 1000 series (WAL-backed sender)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        storage = MemoryStorage()
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/api/v1/write", write_handler(storage))
        with serve(app) as ours:
            anchor = asyncio.run(send(ours + "/api/v1/write", n, work / "ours"))
        print(f"  sender -> promlab receiver (anchor)   {anchor:12,.0f} samples/s")
        with real_prometheus(work / "prom") as prom:
            if prom is None:
                print("  sender -> Prometheus 2.42: skipped (no prometheus binary)")
                return
            real = asyncio.run(send(prom + "/api/v1/write", n, work / "real"))
        print(f"  sender -> Prometheus 2.42 receiver    {real:12,.0f} samples/s"
              f"   ratio {real / anchor:.2f}x")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--series", type=int, default=3000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--samples", type=int, default=200_000)
    args = p.parse_args()
    bench_query(args.series, args.runs)
    bench_remote_write(args.samples)


if __name__ == "__main__":
    main()
