"""The stdlib adapter: ``http.server.ThreadingHTTPServer`` underneath, for
exporters that must stay small (no asyncio, no aiohttp: ~10 MB less RSS).

Same behaviour as the aiohttp adapter, from the same core: ``auth.Guard``
(basic auth, allowed SANs), the configured headers on every answer (errors
too), ``landing.LandingPage``, ``scrape.ScrapeCore`` (negotiation, gzip,
``--web.max-requests`` 503s, promhttp self-metrics). TLS: each accepted
connection is wrapped with ``SSLContext.wrap_socket`` in its own thread, so a
slow handshake never holds up the accept loop.

Routes map an exact path to a ``Route``: a function from ``WebRequest`` to
``Reply``, run in the connection's thread (blocking is fine). GET and HEAD
reach routes; other methods get 405. HTTP/1.1 keep-alive, as Prometheus
scrapes.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Final
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from .auth import Guard
from .config import WebConfig, load_web_config
from .errors import ListenAddressError
from .flags import WebFlags
from .landing import LandingPage
from .listen import ListenAddress, base_url, bind
from .reply import NOT_FOUND, Reply
from .scrape import Renderer, ScrapeCore, collect_all, default_renderer
from .workers import Workers

log = logging.getLogger(__name__)

#: An idle keep-alive connection (and its thread) is dropped after this long;
#: Prometheus scrapes at most every few minutes and reconnects transparently.
IDLE_TIMEOUT_S: Final = 300.0
_HANDSHAKE_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class WebRequest:
    """What a route sees. ``headers`` keys are lower-case."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    peercert: Mapping[str, Any] | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Route = Callable[[WebRequest], Reply]


class _Handler(BaseHTTPRequestHandler):
    """Translates one connection's requests into ``WebRequest`` and back."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    server: _Listener

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._refuse()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def _refuse(self) -> None:
        self.close_connection = True  # the body, if any, is not read
        self._send(Reply.text(405, "Method Not Allowed\n", {"Allow": "GET, HEAD"}))

    def _dispatch(self) -> None:
        app = self.server.app
        if self.headers.get("Content-Length", "0").strip() not in ("", "0"):
            self.close_connection = True  # an unread body would be taken for a request
        path, _, query = self.path.partition("?")
        peercert = None
        if isinstance(self.connection, ssl.SSLSocket):
            peercert = self.connection.getpeercert()
        request = WebRequest(
            self.command,
            path,
            parse_qs(query, keep_blank_values=True),
            {k.lower(): v for k, v in self.headers.items()},
            peercert,
        )
        try:
            reply = None
            if app.guard.active:
                reply = app.guard.check(request.header("Authorization"), peercert)
            if reply is None:
                route = app.routes.get(path)
                reply = NOT_FOUND if route is None else route(request)
        except Exception:
            log.exception("error serving %s", path)
            reply = Reply.text(500, "Internal Server Error\n")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        # One write for head and body (with TCP_NODELAY): a separate small
        # head write would meet Nagle + delayed ACK on keep-alive connections.
        head = [f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}"]
        head.append(f"Date: {self.date_time_string()}")
        for name, value in reply.headers.items():
            head.append(f"{name}: {value}")
        for name, value in self.server.app.headers.items():
            head.append(f"{name}: {value}")
        head.append(f"Content-Length: {len(reply.body)}")
        if self.close_connection:
            head.append("Connection: close")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            data += reply.body
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed requests (400, 414, 431, 501): through _send, so the
        # configured headers are on them too.
        self.close_connection = True
        text = message or self.responses.get(code, ("Error",))[0]
        self._send(Reply.text(code, text + "\n"))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


@dataclass(frozen=True)
class _App:
    routes: Mapping[str, Route]
    guard: Guard
    headers: Mapping[str, str]


class _Listener(socketserver.ThreadingMixIn, HTTPServer):
    """One listening socket (already bound) and its connection threads
    (``workers.Workers``: one per open connection, reused)."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, sock: socket.socket, app: _App, tls: ssl.SSLContext | None) -> None:
        self.address_family = sock.family
        super().__init__(sock.getsockname(), _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()
        self.app = app
        self.tls = tls
        self.workers = Workers(self.process_request_thread)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.workers.submit(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        self.workers.close()

    def finish_request(self, request: Any, client_address: Any) -> None:
        # In the connection's thread: the TLS handshake happens here.
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            request.settimeout(_HANDSHAKE_TIMEOUT_S)
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ValueError) as exc:
            log.debug("TLS handshake with %s failed: %s", client_address, exc)
            return
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class ThreadedServer:
    """Serves ``routes`` on ``addresses`` with ``config``'s TLS, auth and headers.

    ``start()`` binds (raising ``ListenAddressError``), starts one accept
    thread per address and returns the base URLs; ``stop()`` closes them.
    """

    def __init__(
        self, routes: Mapping[str, Route], addresses: Sequence[str], config: WebConfig
    ) -> None:
        if not addresses:
            raise ListenAddressError("at least one --web.listen-address is required")
        self.addresses = [ListenAddress.parse(a) for a in addresses]
        self.config = config
        self.app = _App(dict(routes), Guard(config), dict(config.headers))
        self.urls: list[str] = []
        self._listeners: list[_Listener] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> list[str]:
        tls = self.config.ssl_context()
        sockets = [bind(a) for a in self.addresses]
        scheme = "https" if tls is not None else "http"
        for sock in sockets:
            listener = _Listener(sock, self.app, tls)
            thread = threading.Thread(
                target=listener.serve_forever, name=f"http-{sock.getsockname()[1]}", daemon=True
            )
            thread.start()
            self._listeners.append(listener)
            self._threads.append(thread)
            self.urls.append(base_url(sock, scheme))
            log.info("listening on %s (%s)", sock.getsockname()[:2], scheme)
        return self.urls

    def stop(self) -> None:
        for listener in self._listeners:
            listener.shutdown()
            listener.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listeners.clear()
        self._threads.clear()


def serve_threaded_until_stopped(
    server: ThreadedServer, *, stop: threading.Event | None = None
) -> None:
    """Blocking (main thread): start ``server``, run until SIGINT/SIGTERM or
    ``stop.set()``, then stop it."""
    stop = stop or threading.Event()
    previous = {
        sig: signal.signal(sig, lambda _signo, _frame: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        server.start()
        stop.wait()
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def metrics_route(
    collectors: Sequence[Collector],
    *,
    max_requests: int = 0,
    openmetrics: bool = True,
    instrument: CollectorRegistry | None = None,
    renderer: Renderer = default_renderer,
) -> Route:
    """The telemetry route serving ``collectors`` (the stdlib ``MetricsHandler``)."""
    core = ScrapeCore(
        max_requests=max_requests, openmetrics=openmetrics, instrument=instrument, renderer=renderer
    )
    collect = collect_all(collectors)

    def metrics(request: WebRequest) -> Reply:
        return core.serve(collect, request.header("Accept"), request.header("Accept-Encoding"))

    return metrics


def exporter_routes(
    collectors: Sequence[Collector],
    landing: LandingPage,
    *,
    telemetry_path: str = "/metrics",
    max_requests: int = 0,
    instrument: CollectorRegistry | None = None,
    openmetrics: bool = True,
    renderer: Renderer = default_renderer,
) -> dict[str, Route]:
    """``collectors`` at ``telemetry_path`` and ``landing`` at ``/`` (the
    stdlib ``exporter_app``)."""
    routes = {
        telemetry_path: metrics_route(
            collectors,
            max_requests=max_requests,
            openmetrics=openmetrics,
            instrument=instrument,
            renderer=renderer,
        )
    }
    if telemetry_path != "/":
        page = landing.with_metrics_link(telemetry_path)
        routes["/"] = lambda request: page.reply(request.path)
    return routes


def serve_threaded_exporter(
    flags: WebFlags,
    collectors: Sequence[Collector],
    landing: LandingPage,
    *,
    instrument: CollectorRegistry | None = None,
    openmetrics: bool = True,
) -> None:
    """``serve_exporter`` on the stdlib adapter (blocking; same errors)."""
    config = load_web_config(flags.config_file)
    routes = exporter_routes(
        collectors,
        landing,
        telemetry_path=flags.telemetry_path,
        max_requests=flags.max_requests,
        instrument=instrument,
        openmetrics=openmetrics,
    )
    serve_threaded_until_stopped(ThreadedServer(routes, flags.listen_addresses, config))
