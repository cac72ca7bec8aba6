"""Serving collectors at the telemetry path, as client_golang's promhttp does.

``MetricsHandler`` collects (in a worker thread by default, so a slow
collector never stalls the event loop and ``--web.max-requests`` counts real
parallel scrapes), negotiates text 0.0.4 vs OpenMetrics from ``Accept``,
renders, and gzips when ``Accept-Encoding`` allows. Past ``max_requests``
scrapes in flight it answers 503 as promhttp does. A collector that raises
gives 500 ``An error has occurred while serving metrics:`` and the error.

``metrics_response`` is the tail of that (negotiate, render, gzip) for
handlers that produce their metric families some other way (the pushgateway).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from exporters.common.exposition import Negotiated

log = logging.getLogger(__name__)

#: Renders families in the negotiated format. The default imports the
#: exposition package lazily, so importing this module stays cheap.
Renderer = Callable[[Iterable[Metric], "Negotiated"], bytes]
#: zlib level 1: scrape bodies compress ~8x at level 1 and level 6 costs ~3x
#: the CPU for a few percent more.
_GZIP_LEVEL: Final = 1


def default_renderer(families: Iterable[Metric], negotiated: Negotiated) -> bytes:
    from exporters.common.exposition import render

    return render(families, negotiated.format, escaping=negotiated.escaping)


def accepts_gzip(request: web.BaseRequest) -> bool:
    """Whether ``Accept-Encoding`` lists gzip with a non-zero q-value."""
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip()
            if q.startswith("q=") and _float(q[2:]) <= 0:
                continue
            return True
    return False


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def gzip_bytes(body: bytes) -> bytes:
    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def negotiated_for(request: web.BaseRequest, *, openmetrics: bool = True) -> Negotiated:
    from exporters.common.exposition import negotiate

    return negotiate(request.headers.get("Accept"), openmetrics=openmetrics)


def metrics_response(request: web.BaseRequest, body: bytes, content_type: str) -> web.Response:
    """A 200 with ``body`` (already rendered), gzipped if the client accepts it."""
    headers = {"Content-Type": content_type, "Vary": "Accept-Encoding"}
    if accepts_gzip(request):
        body = gzip_bytes(body)
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers)


class HandlerMetrics:
    """promhttp's own metrics, registered into a registry the caller passes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "promhttp_metric_handler_requests",
            "Total number of scrapes by HTTP status code.",
            ["code"],
            registry=registry,
        )
        for code in ("200", "500", "503"):
            self.requests.labels(code)  # promhttp exposes all three from the start
        self.in_flight = Gauge(
            "promhttp_metric_handler_requests_in_flight",
            "Current number of scrapes being served.",
            registry=registry,
        )
        self.errors = Counter(
            "promhttp_metric_handler_errors",
            "Total number of internal errors encountered by the promhttp metric handler.",
            ["cause"],
            registry=registry,
        )


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
        self.max_requests = max_requests
        self.openmetrics = openmetrics
        self.metrics = None if instrument is None else HandlerMetrics(instrument)
        self.in_thread = in_thread
        self.renderer = renderer
        self.in_flight = 0

    def _collect_and_render(self, negotiated: Negotiated) -> bytes:
        families = (m for c in self.collectors for m in c.collect())
        return self.renderer(families, negotiated)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler: ``app.router.add_get(path, handler.handle)``."""
        if self.max_requests and self.in_flight >= self.max_requests:
            self._count("503")
            return web.Response(
                status=503,
                text=f"Limit of concurrent requests reached ({self.max_requests}), "
                "try again later.\n",
            )
        self.in_flight += 1
        if self.metrics is not None:
            self.metrics.in_flight.inc()
        try:
            negotiated = negotiated_for(request, openmetrics=self.openmetrics)
            try:
                if self.in_thread:
                    body = await asyncio.to_thread(self._collect_and_render, negotiated)
                else:
                    body = self._collect_and_render(negotiated)
            except Exception as exc:
                log.error("error gathering metrics: %s", exc)
                if self.metrics is not None:
                    self.metrics.errors.labels("gathering").inc()
                self._count("500")
                return web.Response(
                    status=500, text=f"An error has occurred while serving metrics:\n\n{exc}\n"
                )
            self._count("200")
            return metrics_response(request, body, negotiated.content_type)
        finally:
            self.in_flight -= 1
            if self.metrics is not None:
                self.metrics.in_flight.dec()

    def _count(self, code: str) -> None:
        if self.metrics is not None:
            self.metrics.requests.labels(code).inc()
