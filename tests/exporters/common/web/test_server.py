"""The web layer end to end on loopback: TLS, basic auth, headers, gzip,
negotiation, --web.max-requests, landing page, listen addresses."""

from __future__ import annotations

import asyncio
import base64
import gzip
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiohttp
import bcrypt
import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporters.common.web import (
    LandingPage,
    ListenAddress,
    ListenAddressError,
    Server,
    WebConfig,
    exporter_app,
    load_web_config,
)

from .certs import make_tls_files

T = TypeVar("T")
TIMEOUT = aiohttp.ClientTimeout(total=20)


def run(coro: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro(), timeout=30)

    return asyncio.run(bounded())


def registry_with_gauge() -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("demo_value", "A demo gauge.", ["kind"], registry=registry).labels("a").set(1.5)
    return registry


@asynccontextmanager
async def serving(
    config: WebConfig, collectors: list[Collector], *, max_requests: int = 0
) -> AsyncIterator[str]:
    instrument = CollectorRegistry()
    app = exporter_app(
        config,
        [*collectors, instrument],
        LandingPage("Demo Exporter", "A test exporter", "1.2.3"),
        max_requests=max_requests,
        instrument=instrument,
    )
    server = Server(app, ["127.0.0.1:0"], config)
    urls = await server.start()
    try:
        yield urls[0]
    finally:
        await server.stop()


def test_plain_scrape_landing_and_negotiation() -> None:
    async def scenario() -> None:
        async with (
            serving(WebConfig(), [registry_with_gauge()]) as url,
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
        ):
            async with session.get(url + "/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
                text = await resp.text()
            assert 'demo_value{kind="a"} 1.5\n' in text
            assert "promhttp_metric_handler_requests_in_flight 1\n" in text
            accept = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"
            async with session.get(url + "/metrics", headers={"Accept": accept}) as resp:
                assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
                text = await resp.text()
            assert text.endswith("# EOF\n")
            assert 'promhttp_metric_handler_requests_total{code="200"} 1' in text
            async with session.get(url + "/") as resp:
                page = await resp.text()
                assert resp.status == 200 and "Demo Exporter" in page
                assert 'href="metrics"' in page and "1.2.3" in page
            async with session.get(url + "/nope") as resp:
                assert resp.status == 404

    run(scenario)


def test_gzip_when_accepted_only() -> None:
    async def scenario() -> None:
        async with (
            serving(WebConfig(), [registry_with_gauge()]) as url,
            aiohttp.ClientSession(timeout=TIMEOUT, auto_decompress=False) as session,
        ):
            async with session.get(url + "/metrics", headers={"Accept-Encoding": "gzip"}) as r:
                assert r.headers["Content-Encoding"] == "gzip"
                assert b"demo_value" in gzip.decompress(await r.read())
            headers = {"Accept-Encoding": "gzip;q=0, identity"}
            async with session.get(url + "/metrics", headers=headers) as r:
                assert "Content-Encoding" not in r.headers
                assert b"demo_value" in await r.read()

    run(scenario)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_basic_auth(tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
    path = tmp_path / "web.yml"
    path.write_text(
        f"basic_auth_users:\n  alice: '{hashed}'\n"
        "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
    )
    config = load_web_config(path)

    async def scenario() -> None:
        async with (
            serving(config, [registry_with_gauge()]) as url,
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
        ):
            for auth in ({}, basic("alice", "wrong"), basic("bob", "s3cret"), basic("alice", "")):
                async with session.get(url + "/metrics", headers=auth) as resp:
                    assert resp.status == 401
                    assert resp.headers["WWW-Authenticate"] == "Basic"
                    assert resp.headers["X-Frame-Options"] == "deny"
            for _ in range(2):  # the second one comes from the verdict cache
                async with session.get(url + "/metrics", headers=basic("alice", "s3cret")) as resp:
                    assert resp.status == 200
                    assert resp.headers["X-Frame-Options"] == "deny"

    run(scenario)


def test_tls_with_client_certificates(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    path = tmp_path / "web.yml"
    path.write_text(
        "tls_server_config:\n"
        f"  cert_file: {tls.server_cert.name}\n  key_file: {tls.server_key.name}\n"
        f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {tls.ca.name}\n"
        "  min_version: TLS12\n"
    )
    config = load_web_config(path)

    async def scenario() -> None:
        async with serving(config, [registry_with_gauge()]) as url:
            assert url.startswith("https://127.0.0.1:")
            with_cert = ssl.create_default_context(cafile=tls.ca)
            with_cert.load_cert_chain(tls.client_cert, tls.client_key)
            async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
                async with session.get(url + "/metrics", ssl=with_cert) as resp:
                    assert resp.status == 200
                    assert "demo_value" in await resp.text()
                without_cert = ssl.create_default_context(cafile=tls.ca)
                with pytest.raises(aiohttp.ClientError):
                    async with session.get(url + "/metrics", ssl=without_cert) as resp:
                        await resp.read()
                untrusting = ssl.create_default_context()
                with pytest.raises(aiohttp.ClientError):
                    async with session.get(url + "/metrics", ssl=untrusting) as resp:
                        await resp.read()

    run(scenario)


class BlockingCollector(Collector):
    """Blocks its scrape until released, so a test can hold one in flight."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def collect(self) -> Iterator[Metric]:
        self.entered.set()
        self.release.wait(timeout=20)
        yield GaugeMetricFamily("blocked", "Held scrape.", value=1)


class FailingCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        raise RuntimeError("source unavailable")


def test_max_requests_answers_503_beyond_the_limit() -> None:
    blocker = BlockingCollector()

    async def scenario() -> None:
        async with (
            serving(WebConfig(), [blocker], max_requests=1) as url,
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
        ):
            first = asyncio.ensure_future(session.get(url + "/metrics"))
            await asyncio.to_thread(blocker.entered.wait, 20)
            async with session.get(url + "/metrics") as resp:
                assert resp.status == 503
                assert "Limit of concurrent requests reached (1)" in await resp.text()
            blocker.release.set()
            async with await first as resp:
                assert resp.status == 200
            async with session.get(url + "/metrics") as resp:
                assert resp.status == 200

    run(scenario)


def test_collector_error_is_a_500() -> None:
    async def scenario() -> None:
        async with (
            serving(WebConfig(), [FailingCollector()]) as url,
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
            session.get(url + "/metrics") as resp,
        ):
            assert resp.status == 500
            assert "source unavailable" in await resp.text()

    run(scenario)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":9100", ListenAddress("", 9100)),
        ("[::1]:80", ListenAddress("::1", 80)),
        ("localhost:0", ListenAddress("localhost", 0)),
    ],
)
def test_listen_address_parse(text: str, expected: ListenAddress) -> None:
    assert ListenAddress.parse(text) == expected


@pytest.mark.parametrize("text", ["9100", "::1:80", "host:port", ":99999"])
def test_listen_address_errors(text: str) -> None:
    with pytest.raises(ListenAddressError, match="listen-address"):
        ListenAddress.parse(text)


def test_all_interfaces_and_several_addresses() -> None:
    async def scenario() -> None:
        app = exporter_app(WebConfig(), [registry_with_gauge()], LandingPage("x"))
        server = Server(app, [":0", "127.0.0.1:0"], WebConfig())
        urls = await server.start()
        try:
            assert len(urls) == 2
            async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
                for url in urls:
                    async with session.get(url + "/metrics") as resp:
                        assert resp.status == 200
        finally:
            await server.stop()

    run(scenario)
