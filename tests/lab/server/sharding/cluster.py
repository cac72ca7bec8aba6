"""Helpers for the multi-process sharding tests: deterministic fixture targets,
``promlab server`` / ``promlab querier`` subprocesses on free loopback ports,
and small HTTP API clients. Every wait is bounded; every process is stopped on
the way out, also when the test fails.

**Why the targets expose their own timestamps.** Two servers scraping the same
target never scrape at the same instant, so values that follow the clock would
differ by up to a scrape interval between them. Instead each target reports
the sample of the current *bucket* (``BUCKET_MS`` wide, aligned to a common
origin) with the bucket's start as the explicit timestamp, and every value is
a function of that bucket index only. With ``honor_timestamps`` (the default)
every server that scraped the target at least once per bucket stores exactly
the same ``(timestamp, value)`` pairs; scraping twice per bucket repeats an
identical sample, which the storage ignores. Equal sample sets make equal
query answers, so answers can be compared tightly.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from tests.loopback import serve_apps
from tests.reference import free_port

REPO = Path(__file__).resolve().parents[4]
#: the width of a target's sample bucket; servers scrape at half of it
BUCKET_MS = 2_000
START_TIMEOUT_S = 60.0
POLL_S = 45.0

T = TypeVar("T")


def wait_for(what: str, fn: Callable[[], T | None], timeout_s: float = POLL_S) -> T:
    """Poll ``fn`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)


# --- fixture targets ----------------------------------------------------------


def exposition(i: int, bucket: int, ts_ms: int) -> str:
    """Target ``i``'s metrics at bucket index ``bucket`` (timestamp ``ts_ms``).

    Counters grow linearly with the bucket index (rate per second =
    ``slope / BUCKET_S``), the gauge moves every bucket, the histogram's buckets
    grow at fixed proportions so its quantiles are known.
    """
    k = float(bucket)
    scale = 1 + i % 2
    lines = [
        "# TYPE lab_requests_total counter",
        f'lab_requests_total{{code="200",group="g{i % 3}"}} {(i + 1) * 10 * k} {ts_ms}',
        f'lab_requests_total{{code="500",group="g{i % 3}"}} {(i % 4) * k} {ts_ms}',
        "# TYPE lab_temperature gauge",
        f'lab_temperature{{group="g{i % 3}"}} {20 + i + math.sin(k / 3)} {ts_ms}',
        "# TYPE lab_latency_seconds histogram",
    ]
    for le, share in (("0.1", 1), ("0.5", 3), ("1", 4), ("+Inf", 5)):
        lines.append(f'lab_latency_seconds_bucket{{le="{le}"}} {share * scale * k} {ts_ms}')
    lines += [
        f"lab_latency_seconds_sum {2 * scale * k} {ts_ms}",
        f"lab_latency_seconds_count {5 * scale * k} {ts_ms}",
    ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def fixture_targets(n: int) -> Iterator[list[str]]:
    """``n`` targets on loopback ports, served by one event loop in a thread;
    yields their ``host:port`` addresses."""
    origin_ms = (time.time_ns() // 1_000_000 // BUCKET_MS) * BUCKET_MS

    def app(i: int) -> web.Application:
        async def metrics(request: web.Request) -> web.Response:
            now_ms = time.time_ns() // 1_000_000
            bucket = (now_ms - origin_ms) // BUCKET_MS
            body = exposition(i, bucket, origin_ms + bucket * BUCKET_MS)
            return web.Response(text=body, content_type="text/plain")

        a = web.Application()
        a.router.add_get("/metrics", metrics)
        return a

    with serve_apps([app(i) for i in range(n)]) as addresses:
        yield addresses


def scrape_config(jobs: dict[str, Sequence[str]], *, interval: str = "1s",
                  external: dict[str, str] | None = None, extra: str = "") -> str:  # fmt: skip
    """A ``prometheus.yml`` scraping ``jobs`` (name -> addresses)."""
    out = [f"global:\n  scrape_interval: {interval}\n  scrape_timeout: {interval}\n"
           f"  evaluation_interval: {interval}\n"]  # fmt: skip
    if external:
        out.append("  external_labels:\n")
        out += [f"    {k}: {v}\n" for k, v in external.items()]
    out.append("scrape_configs:\n")
    for job, addresses in jobs.items():
        listed = ", ".join(f"'{a}'" for a in addresses)
        out.append(f"  - job_name: {job}\n    static_configs:\n      - targets: [{listed}]\n")
    return "".join(out) + extra


# --- processes ----------------------------------------------------------------


@dataclass
class Proc:
    """A ``promlab`` subprocess (``args`` after ``-m lab``) on a fixed port."""

    name: str
    args: list[str]
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lab", *self.args],
                stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )  # fmt: skip

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=5) as resp:
                    return bool(resp.status == 200)
            except (OSError, urllib.error.URLError):
                return False

        wait_for(f"{self.name} to be ready", ready, START_TIMEOUT_S)

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def server_proc(name: str, config: Path, workdir: Path, *extra: str) -> Proc:
    port = free_port()
    return Proc(name, ["server", f"--config.file={config}",
                       f"--storage.tsdb.path={workdir / name}-data",
                       f"--web.listen-address=127.0.0.1:{port}", *extra],
                port, workdir)  # fmt: skip


def querier_proc(name: str, stores: Sequence[str], workdir: Path, *extra: str) -> Proc:
    port = free_port()
    args = ["querier", *[a for s in stores for a in ("--store", s)],
            f"--web.listen-address=127.0.0.1:{port}", *extra]  # fmt: skip
    return Proc(name, args, port, workdir)


@contextlib.contextmanager
def running(procs: Sequence[Proc]) -> Iterator[Sequence[Proc]]:
    """Start all (in parallel), wait until each is ready, stop all at the end."""
    try:
        for p in procs:
            p.start()
        for p in procs:
            p.wait_ready()
        yield procs
    finally:
        for p in procs:
            p.stop()


# --- HTTP API -----------------------------------------------------------------


def get_reply(base: str, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
    """The whole successful API answer (``data``, ``warnings`` ...)."""
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            reply = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{url}: {exc.code} {exc.read()[:500]!r}") from None
    assert reply["status"] == "success", (url, reply)
    return reply


def get_json(base: str, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
    return get_reply(base, path, params)["data"]


def try_json(base: str, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
    """Like ``get_json``, None when the server cannot answer (yet)."""
    try:
        return get_json(base, path, params)
    except (AssertionError, OSError):
        return None


def instant(base: str, expr: str, t_s: float | None = None) -> list[dict[str, Any]]:
    params = [("query", expr)] + ([("time", f"{t_s:.3f}")] if t_s is not None else [])
    result: list[dict[str, Any]] = get_json(base, "/api/v1/query", params)["result"]
    return result


def samples(base: str, selector: str, window_s: int, t_s: float | None = None,
            ) -> dict[tuple[tuple[str, str], ...], list[tuple[float, float]]]:  # fmt: skip
    """Raw samples of ``selector`` in the ``window_s`` before ``t_s``, per series."""
    out = {}
    for r in instant(base, f"{selector}[{window_s}s]", t_s):
        key = tuple(sorted(r["metric"].items()))
        out[key] = [(float(t), float(v)) for t, v in r["values"]]
    return out
