"""Running ``promlab pushgateway`` as a subprocess, and a raw HTTP client
(http.client: no redirect following, bounded timeouts)."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from exporters.common.exposition import parse_text
from tests.reference import free_port

START_TIMEOUT_S = 30.0
SELF_PREFIXES = ("go_", "process_", "promhttp_", "pushgateway_", "python_")
PUSH_TIMES = ("push_time_seconds", "push_failure_time_seconds")


@dataclass
class Reply:
    status: int
    body: bytes


def request(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    host = base.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, resp.read())
    finally:
        conn.close()


@dataclass
class Ours:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_ours(workdir: Path, *args: str) -> Ours:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / f"ours-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from lab.cli import main; main()",
                "pushgateway",
                f"--web.listen-address=127.0.0.1:{port}",
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[3],
        )
    ours = Ours(process, port, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"promlab pushgateway exited:\n{ours.log()[-3000:]}")
        with contextlib.suppress(OSError):
            if request(ours.url, "GET", "/-/ready", timeout=2).status == 200:
                return ours
        time.sleep(0.05)
    stop(ours)
    raise RuntimeError(f"promlab pushgateway not ready:\n{ours.log()[-3000:]}")


def stop(ours: Ours, *, kill: bool = False) -> None:
    if ours.process.poll() is None:
        if kill:
            ours.process.kill()
        else:
            ours.process.terminate()
        try:
            ours.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            ours.process.kill()
            ours.process.wait(timeout=15)


@contextlib.contextmanager
def running(workdir: Path, *args: str) -> Iterator[Ours]:
    ours = start_ours(workdir, *args)
    try:
        yield ours
    finally:
        stop(ours)


def pushed_samples(base: str) -> set[tuple[tuple[tuple[str, str], ...], float | str]]:
    """The scrape's samples without self-metrics; push times as zero/non-zero."""
    reply = request(base, "GET", "/metrics")
    assert reply.status == 200, reply.body[:500]
    batch = parse_text(reply.body)
    out: set[tuple[tuple[tuple[str, str], ...], float | str]] = set()
    for labels, value, _ in batch.samples():
        name = labels.name
        if name.startswith(SELF_PREFIXES):
            continue
        shown: float | str = value
        if name in PUSH_TIMES:
            shown = "zero" if value == 0 else "set"
        elif value != value:
            shown = "NaN"
        out.add((tuple(labels), shown))
    return out


def body_bytes(case: dict[str, object]) -> bytes | None:
    if "body" not in case:
        return None
    data = str(case["body"]).encode()
    return gzip.compress(data) if case.get("gzip") else data
