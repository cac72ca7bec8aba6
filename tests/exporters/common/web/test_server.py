"""The web layer end to end on loopback, on both adapters (aiohttp and the
stdlib one) from the same core: TLS, client SANs, basic auth, headers, gzip,
negotiation, --web.max-requests, collector errors, landing page, bad configs,
listen addresses. The clients are plain urllib, the same for both."""

from __future__ import annotations

import asyncio
import base64
import gzip
import http.client
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import bcrypt
import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporters.common.web import (
    LandingPage,
    ListenAddress,
    ListenAddressError,
    WebConfig,
    WebConfigError,
    WebFlags,
    load_web_config,
)

from .certs import make_tls_files

ADAPTERS = ["aiohttp", "stdlib"]
Response = tuple[int, dict[str, str], bytes]


def registry_with_gauge() -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("demo_value", "A demo gauge.", ["kind"], registry=registry).labels("a").set(1.5)
    return registry


@contextmanager
def serving(
    adapter: str,
    config: WebConfig,
    collectors: Sequence[Collector],
    *,
    max_requests: int = 0,
    addresses: Sequence[str] = ("127.0.0.1:0",),
    instrumented: bool = True,
) -> Iterator[list[str]]:
    """An exporter (landing page + /metrics) on ``adapter``; yields its URLs."""
    instrument = CollectorRegistry() if instrumented else None
    landing = LandingPage("Demo Exporter", "A test exporter", "1.2.3")
    served = [*collectors, *([instrument] if instrument is not None else [])]
    if adapter == "stdlib":
        from exporters.common.web import ThreadedServer, exporter_routes

        routes = exporter_routes(served, landing, max_requests=max_requests, instrument=instrument)
        server = ThreadedServer(routes, addresses, config)
        urls = server.start()
        try:
            yield urls
        finally:
            server.stop()
        return
    from exporters.common.web import Server, exporter_app

    app = exporter_app(config, served, landing, max_requests=max_requests, instrument=instrument)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    aio_server = Server(app, addresses, config)
    try:
        urls = asyncio.run_coroutine_threadsafe(aio_server.start(), loop).result(30)
        try:
            yield urls
        finally:
            asyncio.run_coroutine_threadsafe(aio_server.stop(), loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


def get(url: str, context: ssl.SSLContext | None = None, /, **headers: str) -> Response:
    """Status, headers and the raw body (urllib does not decompress)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20, context=context) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_plain_scrape_landing_and_negotiation(adapter: str) -> None:
    with serving(adapter, WebConfig(), [registry_with_gauge()]) as (url,):
        status, headers, body = get(url + "/metrics")
        assert status == 200
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert "Content-Encoding" not in headers
        text = body.decode()
        assert "# HELP demo_value A demo gauge.\n# TYPE demo_value gauge\n" in text
        assert 'demo_value{kind="a"} 1.5\n' in text
        assert "promhttp_metric_handler_requests_in_flight 1\n" in text
        accept = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"
        status, headers, body = get(url + "/metrics", Accept=accept)
        assert headers["Content-Type"].startswith("application/openmetrics-text")
        assert body.endswith(b"# EOF\n")
        assert b'promhttp_metric_handler_requests_total{code="200"} 1' in body
        status, headers, body = get(url + "/")
        page = body.decode()
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Demo Exporter" in page and 'href="metrics"' in page and "1.2.3" in page
        assert get(url + "/nope")[0] == 404
        assert get(url + "/metrics/x")[0] == 404


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_gzip_when_accepted_only(adapter: str) -> None:
    with serving(adapter, WebConfig(), [registry_with_gauge()]) as (url,):
        status, headers, body = get(url + "/metrics", **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert headers["Vary"] == "Accept-Encoding"
        assert b"demo_value" in gzip.decompress(body)
        _, headers, body = get(url + "/metrics", **{"Accept-Encoding": "gzip;q=0, identity"})
        assert "Content-Encoding" not in headers
        assert b"demo_value" in body


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_basic_auth_and_headers(adapter: str, tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
    path = tmp_path / "web.yml"
    path.write_text(
        f"basic_auth_users:\n  alice: '{hashed}'\n"
        "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
    )
    config = load_web_config(path)
    with serving(adapter, config, [registry_with_gauge()]) as (url,):
        for auth in ({}, basic("alice", "wrong"), basic("bob", "s3cret"), basic("alice", "")):
            status, headers, _ = get(url + "/metrics", **auth)
            assert status == 401
            assert headers["WWW-Authenticate"] == "Basic"
            assert headers["X-Frame-Options"] == "deny"
        assert get(url + "/", **basic("alice", "nope"))[0] == 401
        for _ in range(2):  # the second one comes from the verdict cache
            status, headers, _ = get(url + "/metrics", **basic("alice", "s3cret"))
            assert status == 200
            assert headers["X-Frame-Options"] == "deny"
        status, headers, _ = get(url + "/missing", **basic("alice", "s3cret"))
        assert status == 404 and headers["X-Frame-Options"] == "deny"


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_tls_with_client_certificates(adapter: str, tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    path = tmp_path / "web.yml"
    path.write_text(
        "tls_server_config:\n"
        f"  cert_file: {tls.server_cert.name}\n  key_file: {tls.server_key.name}\n"
        f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {tls.ca.name}\n"
        "  min_version: TLS12\n"
    )
    config = load_web_config(path)
    with serving(adapter, config, [registry_with_gauge()]) as (url,):
        assert url.startswith("https://127.0.0.1:")
        with_cert = ssl.create_default_context(cafile=tls.ca)
        with_cert.load_cert_chain(tls.client_cert, tls.client_key)
        status, _, body = get(url + "/metrics", with_cert)
        assert status == 200 and b"demo_value" in body
        without_cert = ssl.create_default_context(cafile=tls.ca)
        with pytest.raises((OSError, http.client.HTTPException)):
            get(url + "/metrics", without_cert)
        with pytest.raises((OSError, http.client.HTTPException)):
            get(url + "/metrics", ssl.create_default_context())  # does not trust our CA
        # the server still serves after refused handshakes
        assert get(url + "/metrics", with_cert)[0] == 200


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize(("sans", "expected"), [("[client.example]", 200), ("[other]", 403)])
def test_client_allowed_sans(adapter: str, sans: str, expected: int, tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    path = tmp_path / "web.yml"
    path.write_text(
        "tls_server_config:\n"
        f"  cert_file: {tls.server_cert.name}\n  key_file: {tls.server_key.name}\n"
        f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {tls.ca.name}\n"
        f"  client_allowed_sans: {sans}\n"
    )
    with serving(adapter, load_web_config(path), [registry_with_gauge()]) as (url,):
        context = ssl.create_default_context(cafile=tls.ca)
        context.load_cert_chain(tls.client_cert, tls.client_key)
        assert get(url + "/metrics", context)[0] == expected


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


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_max_requests_answers_503_beyond_the_limit(adapter: str) -> None:
    blocker = BlockingCollector()
    with (
        serving(adapter, WebConfig(), [blocker], max_requests=1, instrumented=False) as (url,),
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        try:
            first = pool.submit(get, url + "/metrics")
            assert blocker.entered.wait(20)
            status, _, body = get(url + "/metrics")
            assert status == 503
            assert b"Limit of concurrent requests reached (1)" in body
        finally:
            blocker.release.set()
        assert first.result(timeout=20)[0] == 200
        assert get(url + "/metrics")[0] == 200


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_collector_error_is_a_500(adapter: str) -> None:
    with serving(adapter, WebConfig(), [FailingCollector()]) as (url,):
        status, _, body = get(url + "/metrics")
        assert status == 500
        assert b"An error has occurred while serving metrics:" in body
        assert b"source unavailable" in body


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_bad_config_and_address_fail_before_serving(adapter: str, tmp_path: Path) -> None:
    from exporters.common.web import serve_exporter, serve_threaded_exporter

    serve = serve_threaded_exporter if adapter == "stdlib" else serve_exporter
    path = tmp_path / "web.yml"
    path.write_text("basic_auth_users:\n  alice: plain-text\n")
    with pytest.raises(WebConfigError, match="not a bcrypt hash"):
        serve(WebFlags(("127.0.0.1:0",), config_file=str(path)), [], LandingPage("x"))
    with pytest.raises(ListenAddressError, match="listen-address"):
        serve(WebFlags(("nonsense",)), [], LandingPage("x"))
    with pytest.raises(ListenAddressError, match="at least one"):
        serve(WebFlags(()), [], LandingPage("x"))


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


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_all_interfaces_and_several_addresses(adapter: str) -> None:
    with serving(
        adapter, WebConfig(), [registry_with_gauge()], addresses=[":0", "127.0.0.1:0"]
    ) as urls:
        assert len(urls) == 2
        for url in urls:
            assert get(url + "/metrics")[0] == 200


def test_stdlib_adapter_keeps_connections_alive_and_refuses_other_methods() -> None:
    with serving("stdlib", WebConfig(), [registry_with_gauge()]) as (url,):
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=20)
        try:
            for _ in range(3):  # one connection, three scrapes
                conn.request("GET", "/metrics")
                resp = conn.getresponse()
                assert resp.status == 200 and b"demo_value" in resp.read()
            conn.request("HEAD", "/metrics")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read() == b""
            assert int(resp.headers["Content-Length"]) > 0
            conn.request("GET", "/metrics", body=b"x")  # a body is not read: close after
            resp = conn.getresponse()
            assert resp.status == 200 and resp.headers["Connection"] == "close"
            resp.read()
            conn.close()
            conn.request("POST", "/metrics", body=b"x")
            resp = conn.getresponse()
            assert resp.status == 405 and resp.headers["Allow"] == "GET, HEAD"
        finally:
            conn.close()
