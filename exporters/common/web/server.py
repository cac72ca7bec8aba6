"""The aiohttp adapter: the application with the web config applied (auth,
allowed SANs, headers), start/stop on pre-bound sockets, and a blocking
``serve_until_stopped`` with signal handling. The decisions are the core's
(``auth.Guard``, ``landing``, ``listen``); this module only translates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import web

from .auth import Guard
from .config import WebConfig
from .errors import ListenAddressError
from .landing import LandingPage
from .listen import ListenAddress, base_url, bind
from .reply import Reply

__all__ = [
    "DEFAULT_CLIENT_MAX_SIZE",
    "ListenAddress",
    "Server",
    "bind",
    "landing_handler",
    "new_app",
    "response",
    "serve_until_stopped",
]

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Largest request body accepted by default (pushes); aiohttp's own is 1 MiB.
DEFAULT_CLIENT_MAX_SIZE = 64 << 20


def response(reply: Reply) -> web.Response:
    """``reply`` as an aiohttp response."""
    return web.Response(status=reply.status, body=reply.body, headers=dict(reply.headers))


def security_middlewares(config: WebConfig) -> list[Any]:
    """The middlewares ``config`` calls for (empty without auth or SAN rules)."""
    guard = Guard(config)
    if not guard.active:
        return []

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        transport = request.transport
        refused = guard.check_sans(transport.get_extra_info("peercert") if transport else None)
        if refused is None and guard.auth is not None:
            header = request.headers.get("Authorization")
            # bcrypt takes tens of ms: only a cache miss goes to a worker thread
            if guard.auth.cached(header) is not True:
                refused = await asyncio.to_thread(guard.check_auth, header)
        if refused is not None:
            return response(refused)
        return await handler(request)

    return [check]


def header_signal(
    headers: Mapping[str, str],
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An ``on_response_prepare`` hook that adds ``headers`` to every response,
    errors included (a middleware would miss raised ``HTTPException``s)."""
    fixed = dict(headers)

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in fixed.items():
            response.headers[name] = value

    return add_headers


def new_app(
    config: WebConfig, *, client_max_size: int = DEFAULT_CLIENT_MAX_SIZE
) -> web.Application:
    """An application with ``config``'s auth and headers applied to every route."""
    app = web.Application(middlewares=security_middlewares(config), client_max_size=client_max_size)
    if config.headers:
        app.on_response_prepare.append(header_signal(config.headers))
    return app


def landing_handler(page: LandingPage) -> Handler:
    async def landing(request: web.Request) -> web.StreamResponse:
        reply = page.reply(request.path)
        if reply.status == 404:
            raise web.HTTPNotFound()
        return response(reply)

    return landing


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
            self.urls.append(base_url(sock, scheme))
            log.info("listening on %s (%s)", sock.getsockname()[:2], scheme)
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
