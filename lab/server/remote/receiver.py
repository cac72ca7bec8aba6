"""The remote-write receiver: ``POST /api/v1/write`` into an ``Appendable``.

``write_handler(appendable)`` returns a plain aiohttp handler; wiring it is one
line (``app.router.add_post("/api/v1/write", write_handler(storage))``).

Each request is one transaction (one ``Appender``), so a request is applied
whole or not at all, as Prometheus does:

* 204 No Content — every sample was appended and committed;
* 400 Bad Request — the body is not snappy, not a ``WriteRequest``, has a
  series without labels or with duplicate label names, or a sample the
  storage refuses (``out of order sample``, ``duplicate sample for
  timestamp``, ``out of bounds``): the transaction is rolled back and the
  message says which series;
* 413 — the body is larger than ``max_body_bytes``.

Decoding and appending run in ``executor`` (a commit may fsync), never on the
event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor

from aiohttp import web

from lab.server.remote.codec import SeriesData, decode_write_request
from lab.server.remote.errors import DecodeError
from lab.server.storage.errors import StorageError
from lab.server.storage.interface import Appendable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024


def append_all(appendable: Appendable, series: Sequence[SeriesData]) -> int:
    """Append every sample in one transaction; all or nothing. Returns the count."""
    app = appendable.appender()
    n = 0
    try:
        for s in series:
            labels = s.labels
            for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True):
                try:
                    app.append(labels, t, v)
                except StorageError as exc:
                    raise StorageError(f"{exc} (series {labels}, timestamp {t})") from None
            n += s.timestamps.size
        app.commit()
    except BaseException:
        app.rollback()
        raise
    return n


def write_handler(
    appendable: Appendable,
    *,
    executor: Executor | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Handler:
    """An aiohttp handler accepting remote-write v1 requests into ``appendable``."""

    def apply(body: bytes) -> int:
        return append_all(appendable, decode_write_request(body))

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > max_body_bytes:
            return _text(f"request body larger than {max_body_bytes} bytes", 413)
        body = await request.content.read(max_body_bytes + 1)
        if len(body) > max_body_bytes:
            return _text(f"request body larger than {max_body_bytes} bytes", 413)
        encoding = request.headers.get("Content-Encoding", "snappy").lower()
        if encoding != "snappy":
            return _text(f"unsupported Content-Encoding {encoding!r}: want snappy", 400)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(executor, apply, body)
        except (DecodeError, StorageError) as exc:
            log.debug("remote write refused: %s", exc)
            return _text(str(exc), 400)
        return web.Response(status=204)

    return handle


def _text(message: str, status: int) -> web.Response:
    return web.Response(text=message + "\n", status=status, content_type="text/plain")
