"""Serving the node exporter through the shared web layer's stdlib adapter.

The web layer gives TLS, basic auth and headers from ``--web.config.file``,
the landing page, the listeners, the ``--web.max-requests`` 503s and the
promhttp self-metrics (``scrape.ScrapeCore``). The telemetry route is ours
because node_exporter's has two things the generic one does not:
``?collect[]=`` filtering (400 with upstream's text for an unknown collector)
and text 0.0.4 only, whatever ``Accept`` says.

Why the stdlib adapter (``ThreadingHTTPServer``): a per-node DaemonSet has an
RSS budget, and asyncio + aiohttp alone cost ~17 MB; nothing in this process
imports them (or numpy: the shared renderer leaves it out).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from exporters.common.web import LandingPage, Link, Reply, ScrapeCore
from exporters.common.web.threaded import Route, ThreadedServer, WebRequest

from .errors import FilterError
from .exporter import NodeExporter, family_name

log = logging.getLogger("promlab.node_exporter")


def _without_created(metric: Metric) -> Metric:
    """``metric`` without prometheus_client's ``_created`` samples (the
    promhttp counters have them; the node collectors make none); Go's text
    output has none."""
    name = family_name(metric)
    if not any(s.name.endswith("_created") and s.name != name for s in metric.samples):
        return metric
    copy = Metric(metric.name, metric.documentation, metric.type, metric.unit)
    copy.samples = [s for s in metric.samples if not s.name.endswith("_created") or s.name == name]
    return copy


class NodeMetricsRoute:
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
        self.core = ScrapeCore(max_requests=max_requests, openmetrics=False, instrument=instrument)
        # One scrape collects at a time: collection holds the GIL almost all
        # the time, so parallel scrapes would not finish sooner, and each
        # thread allocating at once can get its own malloc arena (RSS).
        self._collecting = threading.Lock()

    def _families(self, node: Collector) -> Iterable[Metric]:
        with self._collecting:
            families = [
                *node.collect(),
                *(_without_created(m) for c in self.others for m in c.collect()),
            ]
        return sorted(families, key=family_name)

    def __call__(self, request: WebRequest) -> Reply:
        names = request.query.get("collect[]", [])
        try:
            node: Collector = self.exporter.filtered(names) if names else self.exporter
        except FilterError as exc:
            return Reply.text(400, str(exc))
        return self.core.serve(
            lambda: self._families(node),
            request.header("Accept"),
            request.header("Accept-Encoding"),
        )


def node_routes(
    exporter: NodeExporter,
    *,
    telemetry_path: str = "/metrics",
    max_requests: int = 40,
    exporter_metrics: bool = True,
) -> dict[str, Route]:
    """The node exporter's routes: landing page and telemetry path.

    ``exporter_metrics`` False is ``--web.disable-exporter-metrics``: no
    process_*/python_*/promhttp_* families.
    """
    from .exporter import self_registry

    others: list[Collector] = []
    instrument = None
    if exporter_metrics:
        instrument = CollectorRegistry(auto_describe=False)
        others = [instrument, self_registry()]
    routes: dict[str, Route] = {
        telemetry_path: NodeMetricsRoute(
            exporter, others, max_requests=max_requests, instrument=instrument
        )
    }
    if telemetry_path != "/":
        page = LandingPage(
            "Node Exporter",
            "Prometheus Node Exporter (promlab)",
            exporter.version,
            (Link(telemetry_path.lstrip("/") or "/", "Metrics"),),
        )
        routes["/"] = lambda request: page.reply(request.path)
    return routes


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

    from exporters.common.web import load_web_config
    from exporters.common.web.threaded import serve_threaded_until_stopped

    config = load_web_config(config_file)
    routes = node_routes(
        exporter,
        telemetry_path=telemetry_path,
        max_requests=max_requests,
        exporter_metrics=exporter_metrics,
    )
    server = ThreadedServer(routes, listen_addresses, config)
    # Everything alive now lives as long as the process; freezing it keeps the
    # cyclic GC from re-scanning ~100k start-up objects during scrapes (the
    # p99 latency spikes were full collections).
    gc.collect()
    gc.freeze()
    serve_threaded_until_stopped(server)
