"""/api/v1/metadata and /api/v1/targets/metadata: promlab's server and the real
Prometheus 2.42 scrape the same two fixture targets and must answer alike."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.server.app import PromlabServer, ServerOptions
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.api.serving import Client
from tests.lab.server.inprocess import running_server

#: A bound so a broken test fails instead of hanging (not a timing assertion).
SETTLE_LIMIT_S = 30.0

BODIES = {
    "a": (
        b"# HELP req_total Requests.\n# TYPE req_total counter\nreq_total 1\n"
        b"# HELP temp Only help.\ntemp 2\nplain 4\n"
        b'# HELP lat Latency.\n# TYPE lat histogram\nlat_bucket{le="+Inf"} 1\nlat_sum 1\n'
        b"lat_count 1\n"
        b"# HELP q Quantiles.\n# TYPE q summary\nq_sum 1\nq_count 1\n"
    ),
    "b": b"# HELP req_total Requests served.\n# TYPE req_total counter\nreq_total 1\n",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def targets() -> Iterator[list[str]]:
    servers = []
    for body in BODIES.values():
        handler = type("H", (_Handler,), {"body": body})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    yield [f"127.0.0.1:{s.server_address[1]}" for s in servers]
    for s in servers:
        s.shutdown()
        s.server_close()


def _config(targets: list[str]) -> str:
    listed = ", ".join(f"'{t}'" for t in targets)
    return (
        "global: {scrape_interval: 1s}\n"
        f"scrape_configs:\n  - job_name: meta\n    static_configs: [{{targets: [{listed}]}}]\n"
    )


def _normal(data: Any) -> Any:
    """Order-free: upstream lists come from Go maps."""
    if isinstance(data, dict):
        return {k: _normal(v) for k, v in data.items()}
    if isinstance(data, list):
        return sorted((_normal(x) for x in data), key=repr)
    return data


def _settled(client: Client) -> None:
    deadline = time.monotonic() + SETTLE_LIMIT_S
    while time.monotonic() < deadline:
        rows = client.get("/api/v1/targets/metadata").json()["data"]
        if len({r["target"]["instance"] for r in rows}) == 2:
            return
        time.sleep(0.2)
    raise AssertionError("targets not scraped")


QUERIES: list[dict[str, str]] = [
    {},
    {"metric": "req_total"},
    {"metric": "nope"},
    {"limit": "0"},
    {"limit_per_metric": "1", "metric": "temp"},
    {"limit": "x"},
]
# limit_per_metric is newer than 2.42 (which ignores it); promlab follows 3.x:
# a bad value is "limit_per_metric must be a number" (checked in the goldens).
TARGET_QUERIES: list[dict[str, str]] = [
    {},
    {"metric": "req_total"},
    {"match_target": '{job="meta"}', "metric": "lat"},
    {"match_target": '{job="other"}'},
    {"match_target": "{job="},
    {"metric": "nope"},
    {"limit": "x"},
]


def test_metadata_like_prometheus(
    tmp_path: Path, targets: list[str], prometheus_config: Path, request: pytest.FixtureRequest
) -> None:
    prometheus_config.write_text(_config(targets))
    ours_config = tmp_path / "ours.yml"
    ours_config.write_text(_config(targets))
    prom = request.getfixturevalue("prometheus")
    options = ServerOptions(config_file=str(ours_config), listen_addresses=("127.0.0.1:0",))
    with running_server(PromlabServer(options, storage=MemoryStorage())) as running:
        ours, ref = running.client, Client(prom.url)
        _settled(ours)
        _settled(ref)
        for params in QUERIES:
            a, b = ours.get("/api/v1/metadata", params), ref.get("/api/v1/metadata", params)
            assert (a.status, _normal(a.json())) == (b.status, _normal(b.json())), params
        # limit keeps any n metrics (upstream: in Go map order): compare how many.
        assert len(ours.get("/api/v1/metadata", {"limit": "2"}).json()["data"]) == 2
        for params in TARGET_QUERIES:
            a = ours.get("/api/v1/targets/metadata", params)
            b = ref.get("/api/v1/targets/metadata", params)
            assert a.status == b.status, (params, a.text, b.text)
            if a.status == 200:
                assert _normal(a.json()) == _normal(b.json()), params
            else:
                assert a.json()["errorType"] == b.json()["errorType"], params
