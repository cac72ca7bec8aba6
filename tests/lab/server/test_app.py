"""The composition root end to end: PromlabServer over HTTP, reload, quit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.model.labels import Labels
from lab.server.app import PromlabServer, ServerError, ServerOptions
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.api.serving import Client
from tests.lab.server.inprocess import JOIN_TIMEOUT_S, Running, running_server


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "prometheus.yml"
    path.write_text("global:\n  external_labels:\n    region: eu\n")
    return path


def _start(config_file: Path, **kw: object) -> Iterator[Running]:
    storage = MemoryStorage()
    storage.add_series(Labels.of(__name__="up", job="a"), [1_000, 2_000], [1, 0])
    options = ServerOptions(
        config_file=str(config_file),
        listen_addresses=("127.0.0.1:0",),
        **kw,  # type: ignore[arg-type]
    )
    with running_server(PromlabServer(options, storage=storage)) as running:
        yield running


@pytest.fixture
def lifecycle(config_file: Path) -> Iterator[Running]:
    yield from _start(config_file, enable_lifecycle=True)


@pytest.fixture
def plain(config_file: Path) -> Iterator[Running]:
    yield from _start(config_file)


def _query_up(client: Client) -> object:
    return client.get("/api/v1/query", {"query": "up", "time": "2"}).json()["data"]["result"]


def test_serves_queries_over_its_storage(plain: Running) -> None:
    assert _query_up(plain.client) == [
        {"metric": {"__name__": "up", "job": "a"}, "value": [2, "0"]}
    ]
    assert plain.client.get("/-/ready").text == "Prometheus Server is Ready.\n"
    assert plain.client.get("/-/healthy").status == 200


def test_lifecycle_disabled(plain: Running) -> None:
    assert plain.client.post("/-/reload").status == 403
    assert plain.client.post("/-/quit").text == "Lifecycle API is not enabled.\n"
    assert plain.client.get("/-/reload").status == 405


def test_reload_keeps_data_and_applies_config(lifecycle: Running, config_file: Path) -> None:
    client = lifecycle.client
    config_file.write_text("global:\n  external_labels:\n    region: us\n")
    assert client.post("/-/reload").status == 200
    assert "region: us" in client.get("/api/v1/status/config").json()["data"]["yaml"]
    assert lifecycle.server.config.external_labels == Labels.of(region="us")
    assert _query_up(client) == [{"metric": {"__name__": "up", "job": "a"}, "value": [2, "0"]}]


def test_bad_config_on_reload_keeps_the_old_one(lifecycle: Running, config_file: Path) -> None:
    client = lifecycle.client
    config_file.write_text("global: [unclosed\n")
    reply = client.post("/-/reload")
    assert reply.status == 500
    assert reply.text.startswith("failed to reload config: couldn't load configuration")
    assert "region: eu" in client.get("/api/v1/status/config").json()["data"]["yaml"]
    info = client.get("/api/v1/status/runtimeinfo").json()["data"]
    assert info["reloadConfigSuccess"] is False
    assert _query_up(client) != []


def test_quit_stops_the_server(lifecycle: Running) -> None:
    reply = lifecycle.client.post("/-/quit")
    assert reply.text == "Requesting termination... Goodbye!\n"
    lifecycle.thread.join(JOIN_TIMEOUT_S)
    assert not lifecycle.thread.is_alive()


def test_status_endpoints(plain: Running) -> None:
    client = plain.client
    tsdb = client.get("/api/v1/status/tsdb").json()["data"]
    assert tsdb["headStats"]["numSeries"] == 1
    assert tsdb["seriesCountByMetricName"] == [{"name": "up", "value": 1}]
    info = client.get("/api/v1/status/runtimeinfo").json()["data"]
    assert info["storageRetention"] == "15d"
    assert client.get("/api/v1/status/buildinfo").json()["status"] == "success"


def test_bad_config_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- not a mapping\n")
    with pytest.raises(ServerError, match="couldn't load configuration"):
        PromlabServer(ServerOptions(config_file=str(bad)), storage=MemoryStorage())


def test_scaling_endpoints_only_with_a_scaling_config(tmp_path: Path, config_file: Path) -> None:
    scaling = tmp_path / "scaling.yml"
    scaling.write_text("metrics:\n  three: vector(3)\n")
    for running in _start(config_file, scaling_config_file=str(scaling)):
        keda = running.client.get("/scaling/v1/metrics/three").json()
        assert (keda["metric"], keda["value"]) == ("three", 3.0)
        external = running.client.get(
            "/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/three"
        ).json()
        assert [item["value"] for item in external["items"]] == ["3"]
        assert running.client.get("/api/v1/query", {"query": "up", "time": "2"}).status == 200
    for running in _start(config_file):
        assert running.client.get("/scaling/v1/metrics/three").status == 404


def test_bad_scaling_config_at_start(tmp_path: Path, config_file: Path) -> None:
    bad = tmp_path / "scaling.yml"
    bad.write_text("metrics: [not, a, mapping]\n")
    with pytest.raises(ServerError, match=r"--scaling.config-file: .*expected 'metrics:'"):
        PromlabServer(
            ServerOptions(config_file=str(config_file), scaling_config_file=str(bad)),
            storage=MemoryStorage(),
        )


# -- end to end: TSDB storage, scraping, restart ------------------------------------------

POLL_LIMIT_S = 30.0


def _wait_for(client: Client, query: str) -> list[dict[str, object]]:
    """Poll until ``query`` returns a non-empty vector (a wait, not a timing check)."""
    import time

    deadline = time.monotonic() + POLL_LIMIT_S
    while True:
        result = client.get("/api/v1/query", {"query": query}).json()["data"]["result"]
        if result:
            return list(result)
        if time.monotonic() > deadline:
            raise AssertionError(f"{query} still empty after {POLL_LIMIT_S}s")
        time.sleep(0.1)


@pytest.fixture
def target() -> Iterator[Client]:
    from aiohttp import web

    from tests.lab.server.api.serving import serve

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            text='# TYPE demo_things gauge\ndemo_things{kind="a"} 42\n',
            content_type="text/plain",
        )

    def make() -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", metrics)
        return app

    with serve(make) as client:
        yield client


def _server_with_tsdb(tmp_path: Path, target: Client) -> Iterator[Running]:
    host = target.base.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        f"scrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ['{host}']\n"
    )
    options = ServerOptions(
        config_file=str(config),
        storage_path=str(tmp_path / "data"),
        listen_addresses=("127.0.0.1:0",),
        enable_lifecycle=True,
    )
    with running_server(PromlabServer(options)) as running:
        yield running


def test_scrapes_into_the_tsdb_and_keeps_data_across_restart(
    tmp_path: Path, target: Client
) -> None:
    gen = _server_with_tsdb(tmp_path, target)
    running = next(gen)
    client = running.client
    [sample] = _wait_for(client, "demo_things")
    assert sample["metric"] == {
        "__name__": "demo_things",
        "instance": target.base.removeprefix("http://"),
        "job": "demo",
        "kind": "a",
    }
    assert sample["value"][1] == "42"
    targets = client.get("/api/v1/targets").json()["data"]
    [active] = targets["activeTargets"]
    assert active["health"] == "up"
    assert active["scrapePool"] == "demo"
    assert active["scrapeUrl"] == target.base + "/metrics"
    assert active["labels"] == {"instance": target.base.removeprefix("http://"), "job": "demo"}
    assert active["lastScrape"] != "0001-01-01T00:00:00Z"
    assert client.post("/-/reload").status == 200
    assert client.get("/api/v1/query", {"query": "demo_things"}).json()["data"]["result"]
    assert client.get("/api/v1/status/tsdb").json()["data"]["headStats"]["numSeries"] >= 1
    gen.close()  # stop: web, scrapes, then the TSDB
    assert not running.thread.is_alive()

    # Restarted on the same directory, the scraped samples are still there.
    (tmp_path / "prometheus.yml").write_text("global:\n  scrape_interval: 1s\n")
    options = ServerOptions(
        config_file=str(tmp_path / "prometheus.yml"),
        storage_path=str(tmp_path / "data"),
        listen_addresses=("127.0.0.1:0",),
    )
    with running_server(PromlabServer(options)) as again:
        series = again.client.get("/api/v1/series", {"match[]": "demo_things"}).json()["data"]
        assert [s["kind"] for s in series] == ["a"]
