"""Binding and running: listen addresses, the aiohttp application with the
web config applied, start/stop, and a blocking ``serve`` with signal handling.

Sockets are bound here (not by aiohttp) so that port 0 works and the bound
addresses are known (``Server.urls``), and so that ``:PORT`` means every
interface, IPv4 and IPv6, as Go's ``net.Listen`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from .auth import header_signal, security_middlewares
from .config import WebConfig
from .errors import ListenAddressError

log = logging.getLogger(__name__)

#: Largest request body accepted by default (pushes); aiohttp's own is 1 MiB.
DEFAULT_CLIENT_MAX_SIZE = 64 << 20


@dataclass(frozen=True)
class ListenAddress:
    """``host`` "" means every interface."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        host, sep, port_text = text.rpartition(":")
        if not sep or not port_text.isdigit() or int(port_text) > 65535:
            raise ListenAddressError(
                f"invalid --web.listen-address {text!r}: expected [HOST]:PORT, e.g. ':9100'"
            )
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise ListenAddressError(
                f"invalid --web.listen-address {text!r}: write IPv6 hosts in brackets, "
                "e.g. '[::1]:9100'"
            )
        return cls(host, int(port_text))


def bind(address: ListenAddress) -> socket.socket:
    """A listening socket for ``address``; "" binds IPv6+IPv4 where possible."""
    try:
        if address.host == "" and socket.has_ipv6:
            with contextlib.suppress(OSError):
                return _listen(socket.AF_INET6, ("::", address.port), dual=True)
        host = address.host or "0.0.0.0"
        infos = socket.getaddrinfo(host, address.port, type=socket.SOCK_STREAM)
        family, _, _, _, sockaddr = infos[0]
        return _listen(family, sockaddr, dual=False)
    except OSError as exc:
        raise ListenAddressError(
            f"cannot listen on {address.host or '*'}:{address.port}: {exc.strerror or exc}"
        ) from None


def _listen(family: int, sockaddr: tuple[object, ...], *, dual: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if dual:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(sockaddr)
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def new_app(
    config: WebConfig, *, client_max_size: int = DEFAULT_CLIENT_MAX_SIZE
) -> web.Application:
    """An application with ``config``'s auth and headers applied to every route."""
    app = web.Application(middlewares=security_middlewares(config), client_max_size=client_max_size)
    if config.headers:
        app.on_response_prepare.append(header_signal(config.headers))
    return app


class Server:
    """Serves ``app`` on ``addresses`` with ``config``'s TLS (if any).

    ``await start()`` binds (raising ``ListenAddressError``) and returns the
    base URLs; ``await stop()`` closes listeners and finishes open requests.
    """

    def __init__(self, app: web.Application, addresses: Sequence[str], config: WebConfig) -> None:
        if not addresses:
            raise ListenAddressError("at least one --web.listen-address is required")
        self.app = app
        self.addresses = [ListenAddress.parse(a) for a in addresses]
        self.config = config
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.urls: list[str] = []

    async def start(self) -> list[str]:
        ssl_context = self.config.ssl_context()
        sockets = [bind(a) for a in self.addresses]
        await self.runner.setup()
        scheme = "https" if ssl_context is not None else "http"
        for sock in sockets:
            site = web.SockSite(self.runner, sock, ssl_context=ssl_context)
            await site.start()
            host, port = sock.getsockname()[:2]
            shown = "127.0.0.1" if host in ("::", "0.0.0.0") else host
            shown = f"[{shown}]" if ":" in shown else shown
            self.urls.append(f"{scheme}://{shown}:{port}")
            log.info("listening on %s:%s (%s)", host, port, scheme)
        return self.urls

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve_until_stopped(
    server: Server,
    *,
    stop: asyncio.Event | None = None,
    on_started: Callable[[list[str]], Awaitable[None] | None] | None = None,
) -> None:
    """Start ``server`` and run until SIGINT/SIGTERM or ``stop`` is set."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    urls = await server.start()
    try:
        if on_started is not None:
            result = on_started(urls)
            if result is not None:
                await result
        await stop.wait()
    finally:
        await server.stop()
