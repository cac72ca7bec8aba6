"""The shared web layer: serve collectors over HTTP(S) the way exporter-toolkit
and promhttp do (aiohttp underneath).

Typical exporter (blocking; what node/kube-state/pushgateway commands call)::

    @click.command()
    @web_flags(default_listen=":9100")          # --web.listen-address (repeatable),
    def node(web: WebFlags) -> None:            # --web.telemetry-path, --web.config.file,
        registry = CollectorRegistry()          # --web.max-requests
        registry.register(MyCollector(source))
        try:
            serve_exporter(web, [registry], LandingPage("Node Exporter", version="1.0"),
                           instrument=registry)  # adds promhttp_metric_handler_* to it
        except WebError as err:
            raise click.ClickException(str(err)) from None

Building blocks, for servers with more routes (pushgateway, lab server):

* ``load_web_config(path) -> WebConfig`` — validates ``--web.config.file``
  (TLS, ``http_server_config.headers``, bcrypt ``basic_auth_users``) at
  start-up; raises ``WebConfigError`` naming file and field.
* ``new_app(config) -> aiohttp.web.Application`` — auth (401 +
  ``WWW-Authenticate: Basic``), allowed client SANs and headers on every route.
* ``MetricsHandler(collectors, max_requests=, instrument=, in_thread=)`` — the
  telemetry handler: negotiation (text 0.0.4 / OpenMetrics), gzip, 503 past
  ``max_requests`` in flight, 500 when a collector raises.
* ``metrics_response(request, body, content_type)``, ``negotiated_for(request)``
  — the tail of that for handlers that render themselves.
* ``LandingPage(name, description, version, links).handler()`` — ``/``.
* ``Server(app, addresses, config)`` — ``await start() -> urls`` (port 0 works),
  ``await stop()``; ``serve_until_stopped(server, stop=event)`` runs until a
  signal or ``stop.set()``.
* ``web_flags(...)``/``WebFlags``, ``DURATION``/``parse_duration`` (Go durations).

Rendering goes through ``exporters.common.exposition.render``, imported on the
first scrape, not at import time.
"""

from .config import TLSConfig, WebConfig, load_web_config, parse_web_config
from .errors import ListenAddressError, WebConfigError, WebError
from .exporter import exporter_app, serve_exporter
from .flags import DURATION, WebFlags, parse_duration, web_flags
from .landing import LandingPage, Link
from .metrics import (
    HandlerMetrics,
    MetricsHandler,
    Renderer,
    accepts_gzip,
    default_renderer,
    gzip_bytes,
    metrics_response,
    negotiated_for,
)
from .server import ListenAddress, Server, new_app, serve_until_stopped

__all__ = [
    "DURATION",
    "HandlerMetrics",
    "LandingPage",
    "Link",
    "ListenAddress",
    "ListenAddressError",
    "MetricsHandler",
    "Renderer",
    "Server",
    "TLSConfig",
    "WebConfig",
    "WebConfigError",
    "WebError",
    "WebFlags",
    "accepts_gzip",
    "default_renderer",
    "exporter_app",
    "gzip_bytes",
    "load_web_config",
    "metrics_response",
    "negotiated_for",
    "new_app",
    "parse_duration",
    "parse_web_config",
    "serve_exporter",
    "serve_until_stopped",
    "web_flags",
]
