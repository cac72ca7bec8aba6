"""Remote write/read and sharding in ``promlab server`` end to end, with the
real Prometheus on the other side:

* what promlab scrapes (and records) arrives in Prometheus by remote_write;
* promlab answers queries with Prometheus's series through remote_read;
* Prometheus's remote_write lands in promlab (``--web.enable-remote-write-receiver``)
  and Prometheus reads promlab's data through promlab's ``/api/v1/read``;
* three shards (``--shard=N --total-shards=3``) scrape disjoint target sets
  that together cover every target.

Every wait polls a state with a deadline; nothing asserts on durations."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from lab.model.labels import Labels
from lab.server.sharding.assign import shard_of_address
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.test_server_rules import start_server, wait_for
from tests.loopback import serve_apps
from tests.reference import ReferenceProcess


def query(base: str, expr: str, **params: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr, **params})
    with urllib.request.urlopen(url, timeout=30) as resp:
        data = json.loads(resp.read())
    assert data["status"] == "success", data
    result: list[dict[str, Any]] = data["data"]["result"]
    return result


@contextlib.contextmanager
def targets(n: int) -> Iterator[list[str]]:
    """``n`` exporters on loopback ports (one event loop), each exposing
    ``demo_things{kind="x"} <its index>``; yields their ``host:port``."""

    def app(i: int) -> web.Application:
        async def metrics(request: web.Request) -> web.Response:
            return web.Response(text=f'demo_things{{kind="x"}} {i}\n', content_type="text/plain")

        a = web.Application()
        a.router.add_get("/metrics", metrics)
        return a

    with serve_apps([app(i) for i in range(n)]) as addresses:
        yield addresses


def _scrape_config(addresses: list[str], global_extra: str = "") -> str:
    listed = ", ".join(f"'{a}'" for a in addresses)
    return (
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        + global_extra
        + f"scrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: [{listed}]\n"
    )


@pytest.mark.reference
def test_promlab_writes_to_and_reads_from_prometheus(
    tmp_path: Path, prometheus_config: Path, request: pytest.FixtureRequest
) -> None:
    prometheus_config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n  - job_name: down\n    static_configs:\n"
        "      - targets: ['127.0.0.1:9']\n"  # down: still gives up = 0
    )
    prom: ReferenceProcess = request.getfixturevalue("prometheus")
    (tmp_path / "r.rules.yml").write_text(
        "groups:\n  - name: g\n    rules:\n"
        "      - record: job:demo_things:sum\n        expr: sum by (job) (demo_things)\n"
    )
    with targets(1) as [address]:
        config = tmp_path / "prometheus.yml"
        config.write_text(
            _scrape_config([address], "  external_labels: {origin: promlab}\n")
            + "rule_files: ['*.rules.yml']\n"
            f"remote_write:\n  - url: {prom.url}/api/v1/write\n"
            "    queue_config: {batch_send_deadline: 50ms}\n"
            f"remote_read:\n  - url: {prom.url}/api/v1/read\n"
            "    read_recent: true\n    filter_external_labels: false\n"
        )
        with start_server(config, storage_path=str(tmp_path / "data")) as running:
            # scraped samples, with the external labels the queue adds
            [got] = wait_for("demo_things in Prometheus", lambda: query(prom.url, "demo_things"))
            assert got["metric"] == {
                "__name__": "demo_things", "instance": address, "job": "demo",
                "kind": "x", "origin": "promlab",
            }  # fmt: skip
            assert got["value"][1] == "0"
            # recorded samples too
            [rec] = wait_for(
                "the recording rule's output in Prometheus",
                lambda: query(prom.url, "job:demo_things:sum"),
            )
            assert rec["metric"] == {
                "__name__": "job:demo_things:sum", "job": "demo", "origin": "promlab",
            }  # fmt: skip
            # promlab answers with Prometheus's own series through remote_read
            [up] = wait_for(
                "up{job='down'} via remote_read",
                lambda: query(running.client.base, 'up{job="down"}'),
            )
            assert up["metric"] == {"__name__": "up", "instance": "127.0.0.1:9", "job": "down"}
            assert up["value"][1] == "0"


@pytest.mark.reference
def test_prometheus_writes_to_and_reads_from_promlab(
    tmp_path: Path, prometheus_config: Path, request: pytest.FixtureRequest
) -> None:
    storage = MemoryStorage()
    now_ms = int(time.time() * 1000)
    storage.add_series(
        Labels.of(__name__="promlab_only", shard="a"),
        [now_ms - 60_000 + i * 15_000 for i in range(5)],
        [1.0, 2.0, 3.0, 4.0, 5.0],
    )
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  external_labels: {site: lab}\n")
    with start_server(config, storage, enable_remote_write_receiver=True) as running:
        base = running.client.base
        prometheus_config.write_text(
            "global:\n  scrape_interval: 1s\n  external_labels: {from: real}\n"
            "scrape_configs:\n  - job_name: self\n    static_configs:\n"
            "      - targets: ['127.0.0.1:9']\n"
            f"remote_write:\n  - url: {base}/api/v1/write\n"
            "    queue_config: {batch_send_deadline: 100ms}\n"
            f"remote_read:\n  - url: {base}/api/v1/read\n    read_recent: true\n"
            # else Prometheus asks only for series with its own external labels
            "    filter_external_labels: false\n"
        )
        prom: ReferenceProcess = request.getfixturevalue("prometheus")
        [up] = wait_for("Prometheus's up in promlab", lambda: query(base, 'up{job="self"}'))
        assert up["metric"] == {
            "__name__": "up", "instance": "127.0.0.1:9", "job": "self", "from": "real",
        }  # fmt: skip
        assert up["value"][1] == "0"
        # Prometheus reads promlab's series; promlab adds its external labels
        t = str(now_ms / 1000)
        got = query(prom.url, "promlab_only", time=t)
        assert [(r["metric"], r["value"][1]) for r in got] == [
            ({"__name__": "promlab_only", "shard": "a", "site": "lab"}, "5")
        ]
        [total] = query(prom.url, "sum_over_time(promlab_only[2m])", time=t)
        assert total["value"][1] == "15"


def test_write_receiver_off_answers_as_prometheus(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {}\n")
    with start_server(config, MemoryStorage()) as running:
        reply = running.client.post("/api/v1/write")
        assert reply.status == 404
        assert "--web.enable-remote-write-receiver" in reply.text
        bad = running.client.request("/api/v1/read", method="POST", form={"x": "1"})
        assert bad.status == 400


def test_three_shards_scrape_disjoint_sets_covering_all(tmp_path: Path) -> None:
    with targets(9) as addresses, contextlib.ExitStack() as stack:
        config = tmp_path / "prometheus.yml"
        config.write_text(_scrape_config(addresses))
        shards = [
            stack.enter_context(start_server(config, MemoryStorage(), shard=n, total_shards=3))
            for n in range(3)
        ]
        expected = [{a for a in addresses if shard_of_address(a, 3) == n} for n in range(3)]

        def scraped() -> list[set[str]]:
            return [{r["metric"]["instance"] for r in query(s.client.base, "up")} for s in shards]

        def covering() -> list[set[str]] | None:
            got = scraped()
            return got if set().union(*got) == set(addresses) else None

        seen = wait_for("every target scraped by some shard", covering)
        assert sum(len(s) for s in seen) == len(addresses)  # disjoint
        assert seen == expected  # each where upstream's hashmod puts it

        # a reload applies the sharding again, to the new target list
        more = [*addresses, "127.0.0.1:9"]
        config.write_text(_scrape_config(more))
        for s in shards:
            assert s.client.post("/-/reload").status == 200
        owner = shard_of_address("127.0.0.1:9", 3)
        wait_for(
            "the new target on its shard only",
            lambda: "127.0.0.1:9" in scraped()[owner] or None,
        )
        assert all("127.0.0.1:9" not in got for i, got in enumerate(scraped()) if i != owner)
