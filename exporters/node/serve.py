"""Serving the node exporter through the shared web layer.

The web layer gives the application (TLS, basic auth, headers from
``--web.config.file``), the landing page, the listeners and the promhttp
self-metrics. The telemetry route is ours because node_exporter's has two
things the generic handler does not: ``?collect[]=`` filtering (400 with
upstream's text for an unknown collector) and text 0.0.4 only, rendered
without numpy (see ``render``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from exporters.common.web import (
    HandlerMetrics,
    LandingPage,
    Link,
    WebConfig,
    metrics_response,
)
from exporters.common.web.server import new_app

from .errors import FilterError
from .exporter import NodeExporter
from .render import CONTENT_TYPE, family_name, render_text

log = logging.getLogger("promlab.node_exporter")


class NodeMetricsHandler:
    """``GET <telemetry path>[?collect[]=name...]``."""

    def __init__(
        self,
        exporter: NodeExporter,
        others: Sequence[Collector] = (),
        *,
        max_requests: int = 40,
        instrument: CollectorRegistry | None = None,
    ) -> None:
        self.exporter = exporter
        self.others = list(others)
        self.max_requests = max_requests
        self.metrics = None if instrument is None else HandlerMetrics(instrument)
        self.in_flight = 0
        # One worker for every scrape: collection holds the GIL almost all the
        # time, so more threads would not scrape faster, and each thread that
        # allocates gets its own malloc arena (RSS). The event loop stays free.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scrape")

    def _render(self, node: Collector) -> bytes:
        families = [*node.collect(), *(m for c in self.others for m in c.collect())]
        return render_text(sorted(families, key=family_name))

    async def handle(self, request: web.Request) -> web.Response:
        names = request.query.getall("collect[]", [])
        try:
            node: Collector = self.exporter.filtered(names) if names else self.exporter
        except FilterError as exc:
            return web.Response(status=400, text=str(exc))
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
            try:
                body = await asyncio.get_running_loop().run_in_executor(
                    self._worker, self._render, node
                )
            except Exception as exc:  # only a bug of ours: collectors have their own boundary
                log.error("error gathering metrics: %s", exc)
                if self.metrics is not None:
                    self.metrics.errors.labels("gathering").inc()
                self._count("500")
                return web.Response(
                    status=500, text=f"An error has occurred while serving metrics:\n\n{exc}\n"
                )
            self._count("200")
            return metrics_response(request, body, CONTENT_TYPE)
        finally:
            self.in_flight -= 1
            if self.metrics is not None:
                self.metrics.in_flight.dec()

    def _count(self, code: str) -> None:
        if self.metrics is not None:
            self.metrics.requests.labels(code).inc()


def node_app(
    config: WebConfig,
    exporter: NodeExporter,
    *,
    telemetry_path: str = "/metrics",
    max_requests: int = 40,
    exporter_metrics: bool = True,
) -> web.Application:
    """The node exporter's application: landing page and telemetry route.

    ``exporter_metrics`` False is ``--web.disable-exporter-metrics``: no
    process_*/python_*/promhttp_* families.
    """
    from .exporter import self_registry

    others: list[Collector] = []
    instrument = None
    if exporter_metrics:
        instrument = CollectorRegistry(auto_describe=False)
        others = [instrument, self_registry()]
    handler = NodeMetricsHandler(exporter, others, max_requests=max_requests, instrument=instrument)
    app = new_app(config)
    app.router.add_get(telemetry_path, handler.handle)
    if telemetry_path != "/":
        page = LandingPage(
            "Node Exporter",
            "Prometheus Node Exporter (promlab)",
            exporter.version,
            (Link(telemetry_path.lstrip("/") or "/", "Metrics"),),
        )
        app.router.add_get("/", page.handler())
    return app


def serve(
    exporter: NodeExporter,
    listen_addresses: Sequence[str],
    *,
    config_file: str | None = None,
    telemetry_path: str = "/metrics",
    max_requests: int = 40,
    exporter_metrics: bool = True,
) -> None:
    """Blocking: validate the web config, bind, serve until SIGINT/SIGTERM.
    Raises the web layer's ``WebError`` subclasses for a bad config or address."""
    import gc

    from exporters.common.web import Server, load_web_config, serve_until_stopped

    config = load_web_config(config_file)
    app = node_app(
        config,
        exporter,
        telemetry_path=telemetry_path,
        max_requests=max_requests,
        exporter_metrics=exporter_metrics,
    )
    # Everything alive now lives as long as the process; freezing it keeps the
    # cyclic GC from re-scanning ~100k start-up objects during scrapes (the
    # p99 latency spikes were full collections).
    gc.collect()
    gc.freeze()
    asyncio.run(serve_until_stopped(Server(app, listen_addresses, config)))
