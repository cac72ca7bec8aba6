"""Helpers for scrape tests: a loopback aiohttp exposition server whose body
tests change between scrapes, and running a coroutine with a hang guard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from aiohttp import web
from aiohttp.test_utils import TestServer

from lab.model.value import is_stale
from lab.server.storage.memory import MemoryStorage

T = TypeVar("T")

#: Not a timing assertion: a bound so a broken test fails instead of hanging.
HANG_GUARD_S = 60.0


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    async def guarded() -> T:
        return await asyncio.wait_for(coro_fn(), HANG_GUARD_S)

    return asyncio.run(guarded())


@dataclass
class Exposition:
    """What the fixture server answers; tests mutate it between scrapes."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/plain; version=0.0.4; charset=utf-8"
    gzip: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)


async def start_server(expo: Exposition) -> TestServer:
    async def metrics(request: web.Request) -> web.Response:
        expo.requests.append(dict(request.headers))
        resp = web.Response(body=expo.body, status=expo.status)
        resp.headers["Content-Type"] = expo.content_type
        if expo.gzip:
            resp.enable_compression(web.ContentCoding.gzip)
        return resp

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def samples(storage: MemoryStorage) -> dict[str, list[tuple[int, float | str]]]:
    """Every series as ``{str(labels): [(t, value or "stale")]}``."""
    out: dict[str, list[tuple[int, float | str]]] = {}
    q = storage.querier(-(2**62), 2**62)
    for s in q.select([]):
        out[str(s.labels)] = [
            (t, "stale" if is_stale(v) else v)
            for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True)
        ]
    return out
