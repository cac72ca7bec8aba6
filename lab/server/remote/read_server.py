"""The remote-read endpoint: ``POST /api/v1/read`` over a ``Queryable``.

``read_handler(queryable)`` returns a plain aiohttp handler serving the
SAMPLES response type (a snappy-compressed ``ReadResponse``), which is what a
Prometheus ``remote_read`` client asks for. A request that accepts only
streamed chunks is refused with 400.

External labels follow Prometheus: a matcher on an external label's name is
answered from the external value (match: the matcher is dropped; no match:
the query's result is empty), and every returned series carries the external
labels it does not already have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor

from aiohttp import web

from lab.model.labels import Labels
from lab.model.matcher import Matcher
from lab.server.remote.codec import (
    CONTENT_ENCODING,
    CONTENT_TYPE,
    ReadQuery,
    SeriesData,
    decode_read_request,
    encode_read_response,
)
from lab.server.remote.errors import DecodeError
from lab.server.storage.interface import Queryable

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


def answer(
    queryable: Queryable, queries: Sequence[ReadQuery], external_labels: Labels | None = None
) -> list[list[SeriesData]]:
    """The series for each query, external labels applied."""
    ext = external_labels.to_dict() if external_labels else {}
    out: list[list[SeriesData]] = []
    for q in queries:
        matchers: list[Matcher] = []
        possible = True
        for m in q.matchers:
            if m.name in ext:
                possible = possible and m.matches(ext[m.name])
            else:
                matchers.append(m)
        if not possible:
            out.append([])
            continue
        querier = queryable.querier(q.start_ms, q.end_ms)
        try:
            series = querier.select(matchers)
        finally:
            querier.close()
        result = []
        for s in series:
            labels = s.labels
            if ext:
                missing = {k: v for k, v in ext.items() if not labels.has(k)}
                if missing:
                    labels = Labels.of({**labels.to_dict(), **missing})
            result.append(SeriesData(labels, s.timestamps, s.values))
        out.append(result)
    return out


def read_handler(
    queryable: Queryable,
    *,
    external_labels: Callable[[], Labels] = Labels,
    executor: Executor | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Handler:
    """An aiohttp handler serving remote-read (SAMPLES) from ``queryable``."""

    def run(body: bytes) -> bytes:
        queries = decode_read_request(body)
        return encode_read_response(answer(queryable, queries, external_labels()))

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.content.read(max_body_bytes + 1)
        if len(body) > max_body_bytes:
            return _text(f"request body larger than {max_body_bytes} bytes", 413)
        loop = asyncio.get_running_loop()
        try:
            payload = await loop.run_in_executor(executor, run, body)
        except DecodeError as exc:
            return _text(str(exc), 400)
        return web.Response(
            body=payload,
            headers={"Content-Type": CONTENT_TYPE, "Content-Encoding": CONTENT_ENCODING},
        )

    return handle


def _text(message: str, status: int) -> web.Response:
    return web.Response(text=message + "\n", status=status, content_type="text/plain")
