"""The global querier end to end: the query API over remote-read stores (two
shards, two HA replicas), in-process and as the ``promlab querier`` command."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web

from lab.model.labels import Labels
from lab.server.remote.read_server import read_handler
from lab.server.sharding.global_querier import querier_app
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.remote.loopback import wait_for
from tests.loopback import serve
from tests.reference import free_port

NOW_S = 1_700_000_000


def _store(series: dict[Labels, float]) -> web.Application:
    m = MemoryStorage()
    for lset, v in series.items():
        m.add_series(lset, [(NOW_S - 60 + i * 15) * 1000 for i in range(5)], [v] * 5)
    app = web.Application()
    app.router.add_post("/api/v1/read", read_handler(m))
    return app


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _query(base: str, expr: str) -> list[Any]:
    data = _get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": NOW_S}))
    assert data["status"] == "success", data
    return sorted(data["data"]["result"], key=lambda r: sorted(r["metric"].items()))


def _stores() -> list[web.Application]:
    up = {"__name__": "up", "job": "node"}
    return [
        _store({Labels.of(up, instance="a", replica="r1"): 1.0,
                Labels.of(up, instance="b", replica="r1"): 1.0}),
        _store({Labels.of(up, instance="a", replica="r2"): 1.0,
                Labels.of(up, instance="b", replica="r2"): 1.0}),
        _store({Labels.of(up, instance="c", replica="r1"): 0.0}),
    ]  # fmt: skip


def test_query_api_over_shards_and_replicas() -> None:
    s1, s2, s3 = _stores()
    with serve(s1) as u1, serve(s2) as u2, serve(s3) as u3:
        gq = querier_app([u1, u2, u3 + "/api/v1/read"], replica_label="replica")
        try:
            with serve(gq.app) as base:
                got = _query(base, "up")
                assert [(r["metric"]["instance"], r["value"][1]) for r in got] == [
                    ("a", "1"), ("b", "1"), ("c", "0")]  # fmt: skip
                assert all("replica" not in r["metric"] for r in got)
                assert _query(base, "sum(up)")[0]["value"][1] == "2"
                labels = _get(f"{base}/api/v1/labels?start={NOW_S - 100}&end={NOW_S}")
                assert labels["data"] == ["__name__", "instance", "job"]
        finally:
            gq.close()


def test_promlab_querier_command(tmp_path: Path) -> None:
    s1, _, s3 = _stores()
    with serve(s1) as u1, serve(s3) as u3:
        port = free_port()
        log_path = tmp_path / "querier.log"
        log_file = log_path.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "lab", "querier", "--store", u1, "--store", u3,
             "--replica-label", "replica", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:

            def ready() -> bool:
                try:
                    with urllib.request.urlopen(base + "/-/ready", timeout=5) as resp:
                        return bool(resp.status == 200)
                except OSError:
                    assert proc.poll() is None, log_path.read_text()
                    return False

            wait_for(ready, 30, "promlab querier to listen")
            got = _query(base, "count(up)")
            assert got[0]["value"][1] == "3"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log_file.close()
