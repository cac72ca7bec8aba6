"""The demo app: metrics move as requests arrive; degrade/reset change the
latency buckets and error counters (the clock's sleeps pass at once, so the
assertions are on counts and buckets, never on wall time)."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from exporters.common.web import WebConfig
from lab.live.demo_app import BUCKETS, HEALTHY, Degradation, DemoApp
from lab.live.errors import DegradeError
from lab.scenarios.targets.web import BUCKETS as SCENARIO_BUCKETS

from .conftest import SteppingClock

Body = Callable[[TestClient[Any, Any], DemoApp, SteppingClock], Awaitable[None]]


def run(body: Body) -> None:
    async def main() -> None:
        clock = SteppingClock()
        demo = DemoApp(clock, CollectorRegistry(), rng=random.Random(1))
        async with TestClient(TestServer(demo.app(WebConfig()))) as client:
            await body(client, demo, clock)

    asyncio.run(main())


def value(demo: DemoApp, name: str, **labels: str) -> float:
    v = demo.registry.get_sample_value(name, labels)
    return 0.0 if v is None else v


def test_requests_move_the_counters_histogram_and_in_flight() -> None:
    async def body(client: TestClient[Any, Any], demo: DemoApp, clock: SteppingClock) -> None:
        for _ in range(3):
            assert (await client.get("/api/items")).status == 200
        assert (await client.post("/api/checkout", json={})).status == 201
        assert (await client.get("/")).status == 200
        total = "http_requests_total"
        assert value(demo, total, code="200", method="GET", route="/api/items") == 3
        assert value(demo, total, code="201", method="POST", route="/api/checkout") == 1
        assert value(demo, total, code="200", method="GET", route="/") == 1
        count = "http_request_duration_seconds_count"
        assert value(demo, count, route="/api/items", method="GET") == 3
        # Healthy /api/items takes 10-30 ms: all in le=0.05, none in le=0.005.
        bucket = "http_request_duration_seconds_bucket"
        assert value(demo, bucket, route="/api/items", method="GET", le="0.05") == 3
        assert value(demo, bucket, route="/api/items", method="GET", le="0.005") == 0
        assert value(demo, "http_requests_in_flight") == 0
        # Admin and telemetry requests are the control plane: not counted.
        await client.post("/admin/reset")
        text = await (await client.get("/metrics")).text()
        assert 'http_requests_total{code="200",method="GET",route="/api/items"} 3' in text
        assert 'route="/admin' not in text and 'route="/metrics' not in text

    run(body)


def test_in_flight_counts_requests_being_answered() -> None:
    async def body(client: TestClient[Any, Any], demo: DemoApp, clock: SteppingClock) -> None:
        seen: list[float] = []
        real_sleep = clock.sleep

        async def observing_sleep(seconds: float) -> None:
            seen.append(value(demo, "http_requests_in_flight"))
            await real_sleep(seconds)

        clock.sleep = observing_sleep  # type: ignore[method-assign]
        await client.get("/")
        assert seen == [1.0]
        assert value(demo, "http_requests_in_flight") == 0

    run(body)


def test_degrade_moves_latency_buckets_and_errors_then_reset_restores() -> None:
    async def body(client: TestClient[Any, Any], demo: DemoApp, clock: SteppingClock) -> None:
        bucket = "http_request_duration_seconds_bucket"
        labels = {"route": "/api/items", "method": "GET"}
        reply = await client.post(
            "/admin/degrade", json={"latency_ms": 300, "error_rate": 1.0, "duration_s": 60}
        )
        assert reply.status == 200
        state = await reply.json()
        assert state["degraded"] is True and state["latency_ms"] == 300
        assert value(demo, "demo_degradation_latency_seconds") == pytest.approx(0.3)
        assert value(demo, "demo_degradation_error_ratio") == 1.0
        for _ in range(4):
            assert (await client.get("/api/items")).status == 500
        errors = "http_requests_total"
        assert value(demo, errors, code="500", method="GET", route="/api/items") == 4
        # 300 ms + 10-30 ms: past le=0.25, inside le=0.5.
        assert value(demo, bucket, le="0.25", **labels) == 0
        assert value(demo, bucket, le="0.5", **labels) == 4

        assert (await client.post("/admin/reset")).status == 200
        assert value(demo, "demo_degradation_latency_seconds") == 0
        for _ in range(2):
            assert (await client.get("/api/items")).status == 200
        assert value(demo, errors, code="200", method="GET", route="/api/items") == 2
        assert value(demo, bucket, le="0.05", **labels) == 2

    run(body)


def test_degradation_expires_after_its_duration() -> None:
    async def body(client: TestClient[Any, Any], demo: DemoApp, clock: SteppingClock) -> None:
        await client.post("/admin/degrade", json={"error_rate": 1.0, "duration_s": 5})
        assert (await client.get("/")).status == 500
        clock.t += 5.0
        state = await (await client.get("/admin/state")).json()
        assert state == {
            "degraded": False,
            "latency_ms": 0.0,
            "error_rate": 0.0,
            "remaining_s": None,
        }
        assert (await client.get("/")).status == 200
        assert value(demo, "demo_degradation_error_ratio") == 0

    run(body)


def test_partial_error_rate_fails_some_requests() -> None:
    async def body(client: TestClient[Any, Any], demo: DemoApp, clock: SteppingClock) -> None:
        await client.post("/admin/degrade", json={"error_rate": 0.5})
        codes = [(await client.get("/")).status for _ in range(40)]
        assert set(codes) == {200, 500}

    run(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "JSON object"),
        (b'{"latency_ms": -1}', "latency_ms must be in"),
        (b'{"latency_ms": true}', "latency_ms must be a number"),
        (b'{"error_rate": 1.5}', "error_rate must be in [0, 1]"),
        (b'{"duration_s": 0}', "duration_s must be > 0"),
        (b'{"latency": 5}', "unknown field(s): latency"),
    ],
)
def test_bad_degrade_requests_are_400_and_change_nothing(body: bytes, message: str) -> None:
    async def check(client: TestClient[Any, Any], demo: DemoApp, clock: SteppingClock) -> None:
        reply = await client.post("/admin/degrade", data=body)
        assert reply.status == 400
        assert message in (await reply.json())["error"]
        assert demo.degradation == HEALTHY

    run(check)


def test_degradation_parse() -> None:
    d = Degradation.parse({"latency_ms": 250, "error_rate": 0.1, "duration_s": 30}, now=100.0)
    assert d == Degradation(0.25, 0.1, 130.0)
    assert d.active(129.9) and not d.active(130.0)
    assert Degradation.parse({}, now=0.0) == HEALTHY
    with pytest.raises(DegradeError):
        Degradation.parse({"error_rate": "high"}, now=0.0)


def test_names_match_the_golden_signals_pack_and_the_web_scenarios() -> None:
    assert BUCKETS == SCENARIO_BUCKETS
    demo = DemoApp(SteppingClock(), CollectorRegistry())
    exposed = {s.name for m in demo.registry.collect() for s in m.samples}
    pack = Path(__file__).resolve().parents[3] / "rulepacks" / "golden-signals"
    rules = yaml.safe_load((pack / "golden-signals.rules.yml").read_text())
    exprs = " ".join(r["expr"] for g in rules["groups"] for r in g["rules"])
    # Raw series the pack reads (recording-rule outputs contain a colon).
    used = set(re.findall(r"(?<![:\w])(http_\w+)(?=\s*[{\[)])", exprs))
    assert used, "the golden-signals pack reads no http_* series?"
    assert used <= exposed, used - exposed
