"""Differential tests against the real Prometheus 2.42: our sender into its
receiver, its remote_write into our receiver, and its remote_read from our
endpoint."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.remote.config import parse_remote_write
from lab.server.remote.queue_log import QueueLog
from lab.server.remote.read_server import read_handler
from lab.server.remote.receiver import write_handler
from lab.server.remote.sender import QueueManager
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.remote.loopback import wait_for
from tests.loopback import serve
from tests.reference import ReferenceProcess

pytestmark = pytest.mark.reference


def query(prom: ReferenceProcess, expr: str, t: float | None = None) -> list[dict[str, Any]]:
    params = {"query": expr, **({"time": str(t)} if t is not None else {})}
    data = json.loads(prom.get("/api/v1/query?" + urllib.parse.urlencode(params)))
    assert data["status"] == "success", data
    result: list[dict[str, Any]] = data["data"]["result"]
    return result


def test_our_sender_into_prometheus_receiver(tmp_path: Path, prometheus: ReferenceProcess) -> None:
    now_ms = int(time.time() * 1000)
    cfg = parse_remote_write({"url": prometheus.url + "/api/v1/write",
                              "queue_config": {"batch_send_deadline": "10ms"}})  # fmt: skip

    async def body() -> None:
        log = QueueLog(tmp_path / "q")
        m = QueueManager(log, cfg, tmp_path / "pos", external_labels=Labels.of(origin="promlab"))
        task = asyncio.create_task(m.run())
        app = log.appender()
        for i in range(10):
            for s in range(3):
                app.append(Labels.of(__name__="promlab_rw_test", s=str(s)),
                           now_ms - 10_000 + i * 1000, float(i * 10 + s))  # fmt: skip
        app.commit()
        deadline = time.monotonic() + 20
        while m.stats.samples_sent < 30 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        m.stop()
        await asyncio.wait_for(task, 20)
        await m.close()
        log.close()
        assert m.stats.samples_sent == 30 and m.stats.samples_dropped == 0

    asyncio.run(body())
    result = query(prometheus, "count_over_time(promlab_rw_test[1m])", now_ms / 1000)
    got = {r["metric"]["s"]: (r["metric"]["origin"], r["value"][1]) for r in result}
    assert got == {"0": ("promlab", "10"), "1": ("promlab", "10"), "2": ("promlab", "10")}
    last = query(prometheus, "promlab_rw_test", now_ms / 1000)
    assert sorted(r["value"][1] for r in last) == ["90", "91", "92"]


def _all_names(storage: MemoryStorage) -> Callable[[], set[str]]:
    def names() -> set[str]:
        return {lset.name for lset in storage.all_labels()}

    return names


def test_prometheus_remote_write_into_our_receiver(
    prometheus_config: Path, request: pytest.FixtureRequest
) -> None:
    storage = MemoryStorage()
    app = web.Application()
    app.router.add_post("/api/v1/write", write_handler(storage))
    with serve(app) as url:
        prometheus_config.write_text(
            "global:\n  scrape_interval: 1s\n  external_labels: {from: real}\n"
            "scrape_configs:\n  - job_name: self\n    static_configs:\n"
            "      - targets: ['127.0.0.1:9']\n"  # down: still gives `up` = 0
            "remote_write:\n"
            f"  - url: {url}/api/v1/write\n"
            "    queue_config: {batch_send_deadline: 100ms}\n"
        )
        prom: ReferenceProcess = request.getfixturevalue("prometheus")
        wait_for(lambda: "up" in _all_names(storage)(), 30, "up from the real Prometheus")
        q = storage.querier(0, 2**62)
        (series,) = q.select([Matcher(MatchType.EQUAL, "__name__", "up")])
        assert series.labels == Labels.of(__name__="up", job="self", instance="127.0.0.1:9",
                                          **{"from": "real"})  # fmt: skip
        assert set(series.values.tolist()) == {0.0}
        assert "scrape_duration_seconds" in _all_names(storage)()
        assert prom.process.poll() is None


def test_prometheus_remote_read_from_our_endpoint(
    prometheus_config: Path, request: pytest.FixtureRequest
) -> None:
    storage = MemoryStorage()
    now_ms = int(time.time() * 1000)
    lset = Labels.of(__name__="promlab_remote_read", shard="a")
    storage.add_series(lset, [now_ms - 60_000 + i * 15_000 for i in range(5)],
                       [1.0, 2.0, 3.0, 4.0, 5.0])  # fmt: skip
    app = web.Application()
    app.router.add_post("/api/v1/read", read_handler(storage))
    with serve(app) as url:
        prometheus_config.write_text(
            f"remote_read:\n  - url: {url}/api/v1/read\n    read_recent: true\n"
        )
        prom: ReferenceProcess = request.getfixturevalue("prometheus")
        result = query(prom, "promlab_remote_read", now_ms / 1000)
        assert [(r["metric"], r["value"][1]) for r in result] == [
            ({"__name__": "promlab_remote_read", "shard": "a"}, "5")
        ]
        (s,) = query(prom, "sum_over_time(promlab_remote_read[2m])", now_ms / 1000)
        assert s["value"][1] == "15"
