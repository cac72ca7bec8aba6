"""``--web.external-url``'s path as route prefix (as Prometheus 2.42 applies
it) and the server's own ``/metrics``."""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporters.common.exposition import parse
from lab.server.api.routes import route_prefix
from lab.server.app import PromlabServer, ServerOptions
from tests.lab.server.inprocess import Running
from tests.reference import run_reference

#: A bound so a broken test fails instead of hanging (not a timing assertion).
SETTLE_LIMIT_S = 30.0


def _raw_get(base: str, path: str) -> tuple[int, str, str]:
    """Status, Location and body without following redirects."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location") or "", resp.read().decode()
    finally:
        conn.close()


def _start(tmp_path: Path, config: str, **kw: object) -> Running:
    path = tmp_path / "ours.yml"
    path.write_text(config)
    options = ServerOptions(
        config_file=str(path),
        storage_path=str(tmp_path / "data"),
        listen_addresses=("127.0.0.1:0",),
        **kw,  # type: ignore[arg-type]
    )
    return Running(PromlabServer(options)).start()


@pytest.fixture
def prefixed(tmp_path: Path) -> Iterator[Running]:
    running = _start(tmp_path, "", external_url="http://example.org:9090/prom/")
    yield running
    running.stop()


def test_route_prefix_from_the_external_url() -> None:
    assert route_prefix("") == ""
    assert route_prefix("http://h:9090") == ""
    assert route_prefix("http://h:9090/") == ""
    assert route_prefix("http://h/a/b/") == "/a/b"


PATHS = [
    "/",
    "/-/ready",
    "/prom/-/ready",
    "/prom/-/healthy",
    "/prom/api/v1/query?query=1",
    "/api/v1/query?query=1",
    "/prom/api/v1/nope",
    "/prom/metrics",
    "/prom/federate",
]


def test_prefix_like_prometheus(prefixed: Running, tmp_path: Path) -> None:
    (tmp_path / "ref.yml").write_text("global: {scrape_interval: 15s}\n")
    args = [
        f"--config.file={tmp_path / 'ref.yml'}",
        "--storage.tsdb.path={dir}/data",
        "--web.listen-address=127.0.0.1:{port}",
        "--web.external-url=http://example.org:9090/prom/",
    ]
    with run_reference("prometheus", args, tmp_path / "ref", "/prom/-/ready") as prom:
        ours = prefixed.client.base
        for path in PATHS:
            a, b = _raw_get(ours, path), _raw_get(prom.url, path)
            assert a[0] == b[0], (path, a, b)
            assert a[1] == b[1], path  # the redirect's Location
            if path.endswith(("ready", "healthy", "nope")) or b[0] == 404:
                assert a[2] == b[2], path


def test_own_metrics(tmp_path: Path) -> None:
    config = (
        "scrape_configs:\n  - job_name: self\n    scrape_interval: 1s\n"
        "    static_configs: [{targets: ['PLACEHOLDER']}]\n"
    )
    running = _start(tmp_path, "global: {scrape_interval: 15s}\n")
    try:
        client = running.client
        address = client.base.removeprefix("http://")
        (tmp_path / "ours.yml").write_text(config.replace("PLACEHOLDER", address))
        running.loop.call_soon_threadsafe(lambda: running.loop.create_task(running.server.reload()))
        assert client.get("/api/v1/query", {"query": "1"}).status == 200
        deadline = time.monotonic() + SETTLE_LIMIT_S
        text = ""
        while time.monotonic() < deadline:
            text = client.get("/metrics").text
            if 'prometheus_target_interval_length_seconds_count{interval="1s"} ' in text:
                break
            time.sleep(0.2)
        batch = parse(text.encode())
        values = {
            str(labels): v for labels, v in zip(batch.labels, batch.values.tolist(), strict=True)
        }
        names = {labels.name for labels in batch.labels}
        assert {
            "prometheus_build_info",
            "prometheus_tsdb_head_series",
            "prometheus_tsdb_head_samples_appended_total",
            "prometheus_http_requests_total",
            "prometheus_engine_query_duration_seconds",
            "prometheus_engine_query_duration_seconds_count",
            "prometheus_target_interval_length_seconds",
            "prometheus_target_interval_length_seconds_count",
        } <= names
        assert values['prometheus_http_requests_total{code="200", handler="/api/v1/query"}'] == 1
        assert values['prometheus_engine_query_duration_seconds_count{slice="inner_eval"}'] >= 1
        assert values["prometheus_tsdb_head_series"] >= 5  # up, scrape_* and the scraped ones
        assert values["prometheus_tsdb_head_samples_appended_total"] >= 10
    finally:
        running.stop()
