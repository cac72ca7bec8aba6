"""The autoscaling endpoints: KEDA metrics-api's JSON and the external
metrics API's ExternalMetricValueList, over the lab's PromQL engine; and the
same queries as the HPA controller's metric source."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from lab.cluster.hpa import MetricTarget
from lab.live.scaling_api import (
    ScalingApi,
    ScalingMetrics,
    ScalingQueryError,
    add_scaling_routes,
    load_metrics,
    matchers,
)
from lab.model.labels import Labels
from lab.server.storage.memory import MemoryStorage

NOW_S = 1_700_000_600.0
QUERIES = {
    "shop_rps": 'sum(rate(http_requests_total{namespace="$namespace", $selector}[5m]))',
    "per_job": "sum by (job) (rate(http_requests_total[5m]))",
    "nothing": "sum(rate(absent_metric_total[5m]))",
    "two": "1",
}


def storage() -> MemoryStorage:
    s = MemoryStorage()
    ts = [int((NOW_S - 600 + 60 * i) * 1000) for i in range(11)]
    for job, per_s in (("shop", 10.0), ("cart", 2.5)):
        values = [per_s * 60 * i for i in range(11)]
        s.add_series(Labels.of(__name__="http_requests_total", namespace="app", job=job), ts,
                     values)
    return s


@pytest.fixture
def api() -> ScalingApi:
    return ScalingApi(ScalingMetrics(QUERIES), storage(), now_s=lambda: NOW_S)


Body = Callable[[TestClient[Any, Any]], Awaitable[None]]


def serve(api: ScalingApi, body: Body) -> None:
    import asyncio

    async def main() -> None:
        app = web.Application()
        add_scaling_routes(app, api)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await body(client)

    asyncio.run(main())


def test_keda_metrics_api_shape(api: ScalingApi) -> None:
    async def body(client: TestClient[Any, Any]) -> None:
        r = await client.get("/scaling/v1/metrics/shop_rps",
                             params={"namespace": "app", "labelSelector": "job=shop"})
        assert r.status == 200
        assert await r.json() == {"metric": "shop_rps", "value": pytest.approx(10.0),
                                  "timestamp": "2023-11-14T22:23:20Z"}
        r = await client.get("/scaling/v1/metrics/nothing")
        assert (await r.json())["value"] == 0.0  # no traffic is a value
        r = await client.get("/scaling/v1/metrics/per_job")
        assert r.status == 422 and "returned 2 series" in (await r.json())["error"]
        r = await client.get("/scaling/v1/metrics/unknown")
        assert r.status == 404

    serve(api, body)


def test_external_metrics_shape(api: ScalingApi) -> None:
    async def body(client: TestClient[Any, Any]) -> None:
        base = "/apis/external.metrics.k8s.io/v1beta1"
        r = await client.get(f"{base}/namespaces/app/per_job")
        assert r.status == 200
        doc = await r.json()
        assert doc["kind"] == "ExternalMetricValueList"
        assert doc["apiVersion"] == "external.metrics.k8s.io/v1beta1"
        items = sorted(doc["items"], key=lambda i: i["metricLabels"]["job"])
        assert [(i["metricName"], i["metricLabels"], i["value"]) for i in items] == [
            ("per_job", {"job": "cart"}, "2500m"),
            ("per_job", {"job": "shop"}, "10"),
        ]
        assert items[0]["timestamp"] == "2023-11-14T22:23:20Z"
        r = await client.get(f"{base}/namespaces/app/shop_rps",
                             params={"labelSelector": "job!=shop"})
        assert [i["value"] for i in (await r.json())["items"]] == ["2500m"]
        r = await client.get(f"{base}/namespaces/other/shop_rps")
        assert (await r.json())["items"] == []  # the namespace is in the query
        r = await client.get(f"{base}/namespaces/app/missing")
        assert r.status == 404 and (await r.json())["kind"] == "Status"
        r = await client.get(f"{base}/namespaces/app/shop_rps",
                             params={"labelSelector": "a in (b)"})
        assert r.status == 400 and (await r.json())["reason"] == "BadRequest"
        r = await client.get(base)
        names = [x["name"] for x in (await r.json())["resources"]]
        assert names == sorted(QUERIES)

    serve(api, body)


def test_matchers_and_hpa_source(api: ScalingApi) -> None:
    assert matchers("app=web, tier!=db") == 'app="web", tier!="db"'
    assert matchers("") == ""
    with pytest.raises(ScalingQueryError):
        matchers("app")
    source = api.source()
    rps = MetricTarget("External", "shop_rps", "AverageValue", 5.0, {"job": "shop"})
    assert source.read("app", rps) == pytest.approx(10.0)
    assert source.read("app", MetricTarget("External", "per_job", "Value", 1.0)) is None
    assert source.read("app", MetricTarget("External", "unknown", "Value", 1.0)) is None


def test_load_metrics(tmp_path: Path) -> None:
    path = tmp_path / "scaling.yml"
    path.write_text("metrics:\n  shop_rps: sum(rate(http_requests_total[1m]))\n")
    assert load_metrics(path).queries == {"shop_rps": "sum(rate(http_requests_total[1m]))"}
    path.write_text("metrics: [a, b]\n")
    with pytest.raises(ScalingQueryError, match="expected 'metrics:'"):
        load_metrics(path)
