"""The usual exporter on the aiohttp adapter: a landing page at ``/`` and
collectors at the telemetry path, behind the web config, served until a
signal arrives. (``threaded.serve_threaded_exporter`` is the same on the
stdlib adapter.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from .config import WebConfig, load_web_config
from .flags import WebFlags
from .landing import LandingPage
from .metrics import MetricsHandler
from .scrape import Renderer, default_renderer
from .server import Server, new_app, serve_until_stopped


def exporter_app(
    config: WebConfig,
    collectors: Sequence[Collector],
    landing: LandingPage,
    *,
    telemetry_path: str = "/metrics",
    max_requests: int = 0,
    instrument: CollectorRegistry | None = None,
    openmetrics: bool = True,
    renderer: Renderer = default_renderer,
) -> web.Application:
    """An application serving ``collectors`` at ``telemetry_path`` and
    ``landing`` at ``/`` (with a link to the metrics added first)."""
    app = new_app(config)
    handler = MetricsHandler(
        collectors,
        max_requests=max_requests,
        instrument=instrument,
        openmetrics=openmetrics,
        renderer=renderer,
    )
    app.router.add_get(telemetry_path, handler.handle)
    if telemetry_path != "/":
        app.router.add_get("/", landing.with_metrics_link(telemetry_path).handler())
    return app


def serve_exporter(
    flags: WebFlags,
    collectors: Sequence[Collector],
    landing: LandingPage,
    *,
    instrument: CollectorRegistry | None = None,
    openmetrics: bool = True,
) -> None:
    """Blocking: validate ``--web.config.file`` (``WebConfigError``), bind
    (``ListenAddressError``) and serve until SIGINT/SIGTERM."""
    config = load_web_config(flags.config_file)
    app = exporter_app(
        config,
        collectors,
        landing,
        telemetry_path=flags.telemetry_path,
        max_requests=flags.max_requests,
        instrument=instrument,
        openmetrics=openmetrics,
    )
    asyncio.run(serve_until_stopped(Server(app, flags.listen_addresses, config)))
