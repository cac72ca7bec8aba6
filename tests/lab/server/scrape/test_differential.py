"""Scrape differential: the real Prometheus 2.42 and our ScrapeManager scrape the
same targets (the real node_exporter and a fixture server) with the same
config for a few 1 s intervals; the sets of series label sets must be equal,
``up`` and ``scrape_*`` included. Theirs come from /api/v1/series, ours from
the storage.

The config exercises target relabeling (replace, hashmod, labelmap,
lowercase), metric relabeling (drop, labeldrop), the ``exported_`` prefix on
conflicting labels and ``params``.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from pathlib import Path

import pytest
from aiohttp import web

from lab.clock import RealClock
from lab.server.config import loads
from lab.server.scrape.manager import ScrapeManager
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.scrape.fixtures import run
from tests.reference import ReferenceProcess, free_port

INTERVALS = 4

FIXTURE_BODY = b"""# HELP requests_total Requests.
# TYPE requests_total counter
requests_total{code="200",job="app"} 10
requests_total{code="500",instance="pod-1"} 1
# TYPE temperature gauge
temperature{room="Kitchen"} 21.5
debug_only{x="1"} 1
"""

CONFIG = """
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:{node_port}']
        labels: {{env: ci}}
    metric_relabel_configs:
      - source_labels: [__name__, mode]
        regex: 'node_cpu_seconds_total;(nice|steal)'
        action: drop
  - job_name: fixture
    params:
      module: [default]
    static_configs:
      - targets: ['127.0.0.1:{fixture_port}']
        labels: {{__meta_team: Payments, zone: EU-1}}
    relabel_configs:
      - {{source_labels: [__address__], target_label: __tmp_hash, modulus: 4, action: hashmod}}
      - {{source_labels: [__tmp_hash], target_label: shard}}
      - {{regex: '__meta_(team)', replacement: 'owner_$1', action: labelmap}}
      - {{source_labels: [zone], target_label: zone_lower, action: lowercase}}
      - {{source_labels: [__param_module], target_label: module}}
    metric_relabel_configs:
      - {{source_labels: [__name__], regex: debug_.*, action: drop}}
      - {{regex: room, action: labeldrop}}
"""


def _their_series(prom: ReferenceProcess) -> set[frozenset[tuple[str, str]]]:
    query = urllib.parse.urlencode({"match[]": '{job=~".+"}'})
    data = json.loads(prom.get(f"/api/v1/series?{query}"))
    assert data["status"] == "success"
    return {frozenset(s.items()) for s in data["data"]}


async def _until_scraped(prom: ReferenceProcess, guard_s: float = 60.0) -> None:
    for _ in range(int(guard_s / 0.25)):
        body = await asyncio.to_thread(prom.get, "/api/v1/targets")
        active = json.loads(body)["data"]["activeTargets"]
        if len(active) == 2 and all(t["health"] != "unknown" for t in active):
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"Prometheus did not scrape its targets: {body[:2000]!r}")


@pytest.mark.reference
def test_same_series_as_prometheus(
    tmp_path: Path,
    prometheus_config: Path,
    node_exporter: ReferenceProcess,
    request: pytest.FixtureRequest,
) -> None:
    fixture_port = free_port()
    text = CONFIG.format(node_port=node_exporter.port, fixture_port=fixture_port)
    prometheus_config.write_text(text)

    async def serve_and_scrape() -> tuple[MemoryStorage, ReferenceProcess]:
        async def metrics(_: web.Request) -> web.Response:
            return web.Response(body=FIXTURE_BODY, content_type="text/plain", charset="utf-8")

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", fixture_port)
        await site.start()
        storage = MemoryStorage()
        manager = ScrapeManager(storage, RealClock())
        try:
            # Prometheus starts (blocking) in a thread so our server keeps answering.
            prom = await asyncio.to_thread(request.getfixturevalue, "prometheus")
            # Prometheus applies discovered targets with a delay of up to ~10 s;
            # start ours once it has scraped every target, then run both.
            await _until_scraped(prom)
            await manager.apply_config(loads(text))
            await asyncio.sleep(INTERVALS + 1.5)
            return storage, prom
        finally:
            await manager.stop()
            await runner.cleanup()

    storage, prom = run(serve_and_scrape)
    ours = {frozenset(labels) for labels in storage.all_labels()}
    theirs = _their_series(prom)
    assert len(ours) > 100, "we scraped (almost) nothing"
    print(f"{len(ours)} series on both sides")
    assert {dict(s)["__name__"] for s in ours} >= {"up", "scrape_series_added", "temperature"}
    assert ours - theirs == set() and theirs - ours == set(), (
        sorted(map(sorted, ours - theirs)),
        sorted(map(sorted, theirs - ours)),
    )
