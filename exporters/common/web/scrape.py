"""Serving collectors at the telemetry path, as client_golang's promhttp does,
whatever serves the HTTP: the framework-agnostic core of both adapters.

``ScrapeCore`` negotiates text 0.0.4 vs OpenMetrics from ``Accept``,
renders, gzips when ``Accept-Encoding`` allows, answers 503 past
``max_requests`` scrapes in flight, 500 ``An error has occurred while
serving metrics:`` when a collector raises, and keeps promhttp's own
``promhttp_metric_handler_*`` metrics. It is thread-safe: the stdlib adapter
scrapes in request threads, the aiohttp one in worker threads.

``encode_metrics(body, content_type, accept_encoding)`` is the tail of that
(gzip decision) for handlers that render themselves (the pushgateway).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from .reply import Reply

if TYPE_CHECKING:
    from exporters.common.exposition import Negotiated

log = logging.getLogger(__name__)

#: Renders families in the negotiated format. The default imports the
#: exposition package on first use, so importing this module stays cheap.
Renderer = Callable[[Iterable[Metric], "Negotiated"], bytes]
#: zlib level 1: scrape bodies compress ~8x at level 1 and level 6 costs ~3x
#: the CPU for a few percent more.
_GZIP_LEVEL: Final = 1


def default_renderer(families: Iterable[Metric], negotiated: Negotiated) -> bytes:
    from exporters.common.exposition import render

    return render(families, negotiated.format, escaping=negotiated.escaping)


def negotiate_accept(accept: str | None, *, openmetrics: bool = True) -> Negotiated:
    from exporters.common.exposition import negotiate

    return negotiate(accept, openmetrics=openmetrics)


def gzip_accepted(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` lists gzip (or ``*``) with a non-zero q-value."""
    for item in (accept_encoding or "").split(","):
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


def encode_metrics(body: bytes, content_type: str, accept_encoding: str | None) -> Reply:
    """A 200 with ``body`` (already rendered), gzipped if the client accepts it."""
    headers = {"Content-Type": content_type, "Vary": "Accept-Encoding"}
    if gzip_accepted(accept_encoding):
        body = gzip_bytes(body)
        headers["Content-Encoding"] = "gzip"
    return Reply(200, body, headers)


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


class ScrapeCore:
    """One telemetry handler's logic. ``max_requests`` 0 is unlimited;
    ``instrument``, when given, receives the promhttp_* self-metrics;
    ``openmetrics=False`` always serves text 0.0.4 (node_exporter 1.5)."""

    def __init__(
        self,
        *,
        max_requests: int = 0,
        openmetrics: bool = True,
        instrument: CollectorRegistry | None = None,
        renderer: Renderer = default_renderer,
    ) -> None:
        self.max_requests = max_requests
        self.openmetrics = openmetrics
        self.metrics = None if instrument is None else HandlerMetrics(instrument)
        self.renderer = renderer
        self.in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> Reply | None:
        """Count a scrape in; the 503 to send instead when the limit is reached.
        Every ``None`` must be paired with ``leave()``."""
        with self._lock:
            if self.max_requests and self.in_flight >= self.max_requests:
                rejected = True
            else:
                rejected = False
                self.in_flight += 1
        if rejected:
            self._count("503")
            return Reply.text(
                503,
                f"Limit of concurrent requests reached ({self.max_requests}), try again later.\n",
            )
        if self.metrics is not None:
            self.metrics.in_flight.inc()
        return None

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1
        if self.metrics is not None:
            self.metrics.in_flight.dec()

    def negotiate(self, accept: str | None) -> Negotiated:
        return negotiate_accept(accept, openmetrics=self.openmetrics)

    def render(
        self,
        collect: Callable[[], Iterable[Metric]],
        negotiated: Negotiated,
        accept_encoding: str | None,
    ) -> Reply:
        """Collect, render and encode: the 200, or the 500 if collecting failed
        (blocking: collectors read files; call it off any event loop)."""
        try:
            body = self.renderer(collect(), negotiated)
        except Exception as exc:
            log.error("error gathering metrics: %s", exc)
            if self.metrics is not None:
                self.metrics.errors.labels("gathering").inc()
            self._count("500")
            return Reply.text(500, f"An error has occurred while serving metrics:\n\n{exc}\n")
        self._count("200")
        return encode_metrics(body, negotiated.content_type, accept_encoding)

    def serve(
        self,
        collect: Callable[[], Iterable[Metric]],
        accept: str | None,
        accept_encoding: str | None,
    ) -> Reply:
        """The whole scrape, blocking (enter, negotiate, render, leave)."""
        rejected = self.enter()
        if rejected is not None:
            return rejected
        try:
            return self.render(collect, self.negotiate(accept), accept_encoding)
        finally:
            self.leave()

    def _count(self, code: str) -> None:
        if self.metrics is not None:
            self.metrics.requests.labels(code).inc()


def collect_all(collectors: Sequence[Collector]) -> Callable[[], Iterable[Metric]]:
    """The ``collect`` callable for a fixed list of collectors."""
    fixed = list(collectors)

    def collect() -> Iterable[Metric]:
        return (m for c in fixed for m in c.collect())

    return collect
