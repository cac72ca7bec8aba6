"""The aiohttp adapter of the telemetry handler: ``MetricsHandler`` wraps a
``scrape.ScrapeCore`` (negotiation, rendering, gzip, 503/500, self-metrics)
and only translates the request and the ``Reply``.

It collects in a worker thread by default, so a slow collector never stalls
the event loop and ``--web.max-requests`` counts real parallel scrapes.
``metrics_response`` is the tail (gzip decision) for handlers that render
themselves (the pushgateway).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from .scrape import (
    HandlerMetrics,
    Renderer,
    ScrapeCore,
    collect_all,
    default_renderer,
    encode_metrics,
    gzip_accepted,
    gzip_bytes,
    negotiate_accept,
)
from .server import response

if TYPE_CHECKING:
    from exporters.common.exposition import Negotiated

__all__ = [
    "HandlerMetrics",
    "MetricsHandler",
    "Renderer",
    "accepts_gzip",
    "default_renderer",
    "gzip_bytes",
    "metrics_response",
    "negotiated_for",
]


def accepts_gzip(request: web.BaseRequest) -> bool:
    """Whether the request's ``Accept-Encoding`` allows gzip."""
    return gzip_accepted(request.headers.get("Accept-Encoding"))


def negotiated_for(request: web.BaseRequest, *, openmetrics: bool = True) -> Negotiated:
    return negotiate_accept(request.headers.get("Accept"), openmetrics=openmetrics)


def metrics_response(request: web.BaseRequest, body: bytes, content_type: str) -> web.Response:
    """A 200 with ``body`` (already rendered), gzipped if the client accepts it."""
    return response(encode_metrics(body, content_type, request.headers.get("Accept-Encoding")))


class MetricsHandler:
    """An aiohttp handler serving ``collectors`` (e.g. ``[registry]``).

    ``max_requests`` 0 is unlimited. ``instrument``, when given, receives the
    promhttp_* self-metrics. ``in_thread=False`` collects on the event loop:
    for collectors that only read in-memory state owned by the loop.
    """

    def __init__(
        self,
        collectors: Sequence[Collector],
        *,
        max_requests: int = 0,
        openmetrics: bool = True,
        instrument: CollectorRegistry | None = None,
        in_thread: bool = True,
        renderer: Renderer = default_renderer,
    ) -> None:
        self.collectors = list(collectors)
        self.core = ScrapeCore(
            max_requests=max_requests,
            openmetrics=openmetrics,
            instrument=instrument,
            renderer=renderer,
        )
        self.in_thread = in_thread
        self._collect = collect_all(self.collectors)

    @property
    def in_flight(self) -> int:
        return self.core.in_flight

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler: ``app.router.add_get(path, handler.handle)``."""
        # Counted in on the loop, before any thread hop: a scrape waiting for a
        # worker thread is in flight too.
        rejected = self.core.enter()
        if rejected is not None:
            return response(rejected)
        try:
            negotiated = self.core.negotiate(request.headers.get("Accept"))
            encoding = request.headers.get("Accept-Encoding")
            if self.in_thread:
                reply = await asyncio.to_thread(
                    self.core.render, self._collect, negotiated, encoding
                )
            else:
                reply = self.core.render(self._collect, negotiated, encoding)
            return response(reply)
        finally:
            self.core.leave()
