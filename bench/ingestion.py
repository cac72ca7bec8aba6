"""Ingestion: how many active series at a 15 s interval one server process sustains.

Fixture targets (a child process serving pre-rendered exposition bodies on
loopback, ``--series`` series per target, values rising on every request) are
scraped at a shortened interval (``--interval``, default 1 s) by ``promlab
server`` (a subprocess with its own TSDB directory), then by the real
Prometheus on the same targets, one after the other so they never compete for
the CPU. Scraping N targets of S series every I seconds is the same work per
second as N * S * (15 / I) series at 15 s, which is the figure printed.

For each load level (``--targets``, comma-separated) and server, after a
warm-up, over a ``--window`` of seconds, read from the server's own
``up`` / ``scrape_duration_seconds`` through its query API:

* scrapes done vs expected;
* mean and max scrape duration;
* CPU seconds per million samples, and RSS growth per active series.

A level is sustained when no scrape was missed (one per target of slack for
the window's edges) and scrapes took less than the interval on average. The
window is shorter than the ~120 samples after which the head cuts a series'
tail into a compressed chunk, so those cuts are not in it; the first line
printed is: the scrape -> append -> commit path in one process with the TSDB
(no HTTP) over 120 scrapes of one target, cuts included, as ms per scrape and
the series at 15 s one core could take on that path alone.

    .venv/bin/python bench/ingestion.py [--targets 2,5,10] [--interval 1] [--window 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

READY_LIMIT_S = 60.0
VARIANTS = 32
PROMLAB = [str(Path(sys.executable).parent / "promlab"), "server"]


# -- the fixture targets ------------------------------------------------------------------


def render(series: int, k: int) -> bytes:
    """One exposition body: 100 series per family, counter values rising with k."""
    per = 100
    out = []
    for m in range(max(series // per, 1)):
        name = f"bench_requests_{m}_total"
        out.append(f"# HELP {name} Requests of handler group {m}.\n# TYPE {name} counter\n")
        out.extend(
            f'{name}{{path="/api/v{j % 7}/item",code="{200 + j % 5}",shard="{j}"}} '
            f"{k * (j + 1) + m}\n"
            for j in range(min(per, series))
        )
    return "".join(out).encode()


async def serve_targets(ports: list[int], series: int) -> None:
    from aiohttp import web

    bodies = [render(series, k) for k in range(VARIANTS)]
    hits = {"n": 0}

    async def metrics(request: web.Request) -> web.Response:
        hits["n"] += 1
        body = bodies[hits["n"] % VARIANTS]
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for port in ports:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


# -- running a server ---------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(base: str, path: str, **params: str) -> object:
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=120) as resp:
        return json.loads(resp.read())


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_LIMIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(base + "/-/ready", timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server not ready")


@dataclass
class Level:
    server: str
    targets: int
    series: int
    scrapes: float
    expected: float
    mean_s: float
    max_s: float
    cpu_per_msample: float
    rss_per_series: float
    interval_s: float

    @property
    def keeps_up(self) -> bool:
        # No missed scrape (one per target of slack for the window's edges) and
        # scrapes shorter than the interval on average; the max is printed but
        # not judged: on a shared machine one stall would fail any server.
        return self.scrapes >= self.expected - self.targets and self.mean_s < self.interval_s

    @property
    def at_15s(self) -> int:
        return int(self.series * 15 / self.interval_s)


def measure(
    kind: str, root: Path, ports: list[int], interval_s: float, window_s: float, series: int
) -> Level:
    work = root / f"{kind}-{len(ports)}"
    work.mkdir()
    interval = f"{int(interval_s * 1000)}ms"
    targets = ", ".join(f"'127.0.0.1:{p}'" for p in ports)
    (work / "prometheus.yml").write_text(
        f"global: {{scrape_interval: {interval}, scrape_timeout: {interval}}}\n"
        f"scrape_configs:\n  - job_name: bench\n    static_configs: [{{targets: [{targets}]}}]\n"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [
        f"--config.file={work / 'prometheus.yml'}",
        f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    cmd = PROMLAB + args if kind == "promlab" else [shutil.which("prometheus") or "", *args]
    with (work / "log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        wait_ready(base, proc)
        ps = psutil.Process(proc.pid)
        rss0 = ps.memory_info().rss
        time.sleep(max(3 * interval_s, 5.0))  # warm-up: series created, caches filled
        cpu0 = sum(ps.cpu_times()[:2])
        t0 = time.time()
        time.sleep(window_s)
        cpu1 = sum(ps.cpu_times()[:2])
        rss1 = ps.memory_info().rss
        t1 = time.time()
        w = int(t1 - t0)
        # Samples carry their tick's time but land after the scrape and the
        # commit: let the window's last ticks land before counting them.
        time.sleep(max(3 * interval_s, 3.0))

        def scalar(q: str) -> float:
            data = get_json(base, "/api/v1/query", query=q, time=f"{t1:.3f}")
            result = data["data"]["result"]  # type: ignore[index]
            return float(result[0]["value"][1]) if result else 0.0

        scrapes = scalar(f"sum(count_over_time(up{{job='bench'}}[{w}s]))")
        level = Level(
            server=kind,
            targets=len(ports),
            series=len(ports) * series,
            scrapes=scrapes,
            expected=len(ports) * w / interval_s,
            mean_s=scalar(f"avg(avg_over_time(scrape_duration_seconds{{job='bench'}}[{w}s]))"),
            max_s=scalar(f"max(max_over_time(scrape_duration_seconds{{job='bench'}}[{w}s]))"),
            cpu_per_msample=(cpu1 - cpu0) / max(scrapes * series / 1e6, 1e-9),
            rss_per_series=(rss1 - rss0) / (len(ports) * series),
            interval_s=interval_s,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return level


def show(lv: Level) -> None:
    verdict = "keeps up" if lv.keeps_up else "FALLS BEHIND"
    print(
        f"{lv.server:10} {lv.targets:3} x {lv.series // lv.targets:,} = {lv.series:>9,} series "
        f"(= {lv.at_15s:>10,} at 15s): scrapes {lv.scrapes:.0f}/{lv.expected:.0f}, "
        f"duration mean {lv.mean_s * 1e3:6.1f} ms max {lv.max_s * 1e3:6.1f} ms, "
        f"CPU {lv.cpu_per_msample:6.2f} s/M samples, RSS {lv.rss_per_series:,.0f} B/series "
        f"-> {verdict}",
        flush=True,
    )


# -- the in-process path ------------------------------------------------------------------


async def in_process(root: Path, series: int, scrapes: int = 120) -> float:
    """CPU ms per scrape through loop -> parse -> append_batch -> commit (WAL
    fsync), over enough scrapes that every series cuts one head chunk."""
    from lab.clock import VirtualClock
    from lab.server.config import loads
    from lab.server.scrape.manager import ScrapeManager
    from lab.server.scrape.scraper import ScrapeRequest, ScrapeResponse
    from lab.server.tsdb import DB

    bodies = [render(series, k) for k in range(4)]

    class Canned:
        n = 0

        async def scrape(self, request: ScrapeRequest) -> ScrapeResponse:
            self.n += 1
            return ScrapeResponse(bodies[self.n % 4], "text/plain; version=0.0.4")

    db = DB.open(root / "inproc")
    clock = VirtualClock(1_000_000_000)
    canned = Canned()
    manager = ScrapeManager(db, clock, scraper_factory=lambda cfg: canned)
    await manager.apply_config(
        loads("scrape_configs:\n  - job_name: b\n    static_configs: [{targets: ['a:1']}]\n")
    )
    await clock.settle()
    [loop] = manager.loops()
    t = 2_000_000_000
    await loop.scrape_and_report(t)
    start = time.process_time()  # CPU time: the machine may be shared
    for i in range(1, scrapes + 1):
        await loop.scrape_and_report(t + i * 15_000)
    elapsed = (time.process_time() - start) / scrapes
    await manager.stop()
    db.close()
    return elapsed * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", default="2,5,10", help="load levels: targets per level")
    parser.add_argument("--series", type=int, default=10_000, help="series per target")
    parser.add_argument("--interval", type=float, default=1.0, help="scrape interval, seconds")
    parser.add_argument("--window", type=float, default=30.0, help="measured seconds per level")
    parser.add_argument("--serve-targets", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_targets:
        ports = [int(p) for p in args.serve_targets.split(",")]
        asyncio.run(serve_targets(ports, args.series))
        return
    levels = [int(x) for x in args.targets.split(",")]
    ports = [free_port() for _ in range(max(levels))]
    fixture = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-targets",
            ",".join(map(str, ports)),
            "--series",
            str(args.series),
        ],
        stdout=subprocess.PIPE,
    )
    have_prometheus = shutil.which("prometheus") is not None
    results: dict[str, list[Level]] = {"promlab": [], "prometheus": []}
    try:
        assert fixture.stdout is not None
        fixture.stdout.readline()  # "ready"
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            ms = asyncio.run(in_process(root, args.series))
            print(
                f"in-process scrape->append->commit: {ms:.1f} CPU ms per {args.series:,}-series "
                f"scrape = {int(args.series * 15_000 / ms):,} series at 15s on one core",
                flush=True,
            )
            for n in levels:
                for kind in ("promlab", "prometheus"):
                    if kind == "prometheus" and not have_prometheus:
                        continue
                    lv = measure(kind, root, ports[:n], args.interval, args.window, args.series)
                    results[kind].append(lv)
                    show(lv)
    finally:
        fixture.terminate()
        fixture.wait(timeout=30)
    for kind, lvs in results.items():
        ok = [lv for lv in lvs if lv.keeps_up]
        best = max((lv.at_15s for lv in ok), default=0)
        top = "" if len(ok) < len(lvs) or not lvs else " (every level tested: at least this)"
        print(f"sustained {kind:10}: {best:,} active series at 15s{top}")
    ours = [lv for lv in results["promlab"] if lv.keeps_up]
    ref = {lv.targets: lv for lv in results["prometheus"]}
    for lv in ours:
        r = ref.get(lv.targets)
        if r is not None:
            print(
                f"ratio at {lv.at_15s:,} series: CPU/sample promlab/prometheus "
                f"{lv.cpu_per_msample / r.cpu_per_msample:.1f}, RSS/series "
                f"{lv.rss_per_series / max(r.rss_per_series, 1):.1f}"
            )
    print("issue target: 1,000,000 active series at 15s")


if __name__ == "__main__":
    main()
