"""The HTTP endpoints (main and telemetry ports), in-process and through the
``promlab kube-state-metrics`` command."""

from __future__ import annotations

import asyncio
import gzip
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from exporters.kube_state.http import main_app, start_site, telemetry_app
from lab.cluster.kubeconfig import write_kubeconfig
from lab.cluster.server import ClusterServer

from .conftest import Factory

TIMEOUT = 10


class _Serving:
    def __init__(self, apps: list[web.Application]) -> None:
        self.loop = asyncio.new_event_loop()
        self.ports: list[int] = []
        self.runners: list[web.AppRunner] = []
        ready = threading.Event()

        def run() -> None:
            for app in apps:
                runner, port = self.loop.run_until_complete(start_site(app, "127.0.0.1", 0))
                self.runners.append(runner)
                self.ports.append(port)
            ready.set()
            self.loop.run_forever()
            for runner in self.runners:
                self.loop.run_until_complete(runner.cleanup())
            self.loop.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(TIMEOUT)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)


@pytest.fixture
def served(exporter: Factory) -> Iterator[list[int]]:
    ex = exporter(resources="pods,nodes", metric_allowlist="kube_pod_info,kube_node_info")
    s = _Serving([main_app(ex, enable_gzip=True), telemetry_app(ex)])
    yield s.ports
    s.stop()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_main_port(served: list[int]) -> None:
    base = f"http://127.0.0.1:{served[0]}"
    status, headers, body = _get(f"{base}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    assert "# TYPE kube_pod_info gauge" in text and "kube_node_info{" in text
    _, _, only = _get(f"{base}/metrics?resources=nodes,pods&exclude_resources=pods")
    assert b"kube_node_info{" in only and b"kube_pod_info" not in only
    status, headers, body = _get(f"{base}/metrics", {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip" and gzip.decompress(body) == text.encode()
    _, headers, body = _get(
        f"{base}/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")
    for path in ("/healthz", "/livez"):
        assert _get(base + path)[0] == 200


def test_metrics_is_streamed_byte_identical(exporter: Factory) -> None:
    ex = exporter(metric_labels_allowlist="pods=[*]")
    s = _Serving([main_app(ex, enable_gzip=True)])
    try:
        url = f"http://127.0.0.1:{s.ports[0]}/metrics"
        want = ex.render()
        status, headers, body = _get(url)
        assert status == 200 and body == want and headers["Content-Length"] == str(len(want))
        _, headers, body = _get(url, {"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == want
        om = "application/openmetrics-text; version=1.0.0"
        _, _, body = _get(url, {"Accept": om, "Accept-Encoding": "gzip"})
        assert gzip.decompress(body) == ex.render(openmetrics=True)
        req = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            assert resp.headers["Content-Length"] == str(len(want)) and resp.read() == b""
    finally:
        s.stop()


def test_telemetry_port(served: list[int]) -> None:
    base = f"http://127.0.0.1:{served[1]}"
    assert _get(f"{base}/readyz")[0] == 200
    text = _get(f"{base}/metrics")[2].decode()
    assert 'kube_state_metrics_list_total{resource="*v1.Pod",result="success"} 1.0' in text
    assert 'kube_state_metrics_watch_total{resource="*v1.Node",result="success"}' in text
    assert 'kube_state_metrics_shard_ordinal{shard_ordinal="0"} 0.0' in text
    assert "kube_state_metrics_total_shards 1.0" in text
    assert "kube_state_metrics_build_info{" in text
    assert "_created" not in text


def test_the_command(server: ClusterServer, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", server.url)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "kube-state-metrics",
            "--kubeconfig",
            str(kubeconfig),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--telemetry-host",
            "127.0.0.1",
            "--telemetry-port",
            "0",
            "--resources",
            "pods",
            "--shard",
            "0",
            "--total-shards",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ports = [int(proc.stdout.readline().rsplit(":", 1)[1]) for _ in range(2)]
        for _ in range(100):  # until the first list is in (bounded)
            if _get(f"http://127.0.0.1:{ports[1]}/readyz")[0] == 200:
                break
            threading.Event().wait(0.1)
        body = _get(f"http://127.0.0.1:{ports[0]}/metrics")[2]
        # 30 pods over 2 shards: this one has some (all in the other: p = 2^-30).
        assert b"kube_pod_info{" in body
        telemetry = _get(f"http://127.0.0.1:{ports[1]}/metrics")[2]
        assert b"kube_state_metrics_total_shards 2.0" in telemetry
    finally:
        proc.terminate()
        proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0


def test_the_command_rejects_bad_flags(tmp_path: Path, api_client: Any) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab",
            "kube-state-metrics",
            "--metric-allowlist",
            "a",
            "--metric-denylist",
            "b",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0 and "mutually exclusive" in proc.stderr
