"""The shared web layer: serve collectors over HTTP(S) the way exporter-toolkit
and promhttp do, on aiohttp or on the standard library.

The logic is framework-agnostic and exists once: ``config`` (validating
``--web.config.file``, building the TLS context), ``auth.Guard`` (bcrypt basic
auth with a verdict cache, allowed client SANs), ``scrape.ScrapeCore``
(negotiation, rendering, gzip decision, ``--web.max-requests`` 503s,
promhttp self-metrics), ``landing.LandingPage``, ``listen`` (addresses,
binding) and ``reply.Reply`` (an answer as data). Two thin adapters translate
requests and replies:

* aiohttp (``server``, ``metrics``, ``exporter``) — for servers with more
  routes and async work (pushgateway, lab server)::

      app = new_app(config)                        # auth, SANs, headers
      app.router.add_get("/metrics", MetricsHandler([registry]).handle)
      await Server(app, [":9091"], config).start()

* stdlib (``threaded``: ``ThreadingHTTPServer``) — for exporters that must
  stay small; nothing of asyncio/aiohttp is imported::

      routes = exporter_routes([registry], LandingPage("Node Exporter"))
      serve_threaded_until_stopped(ThreadedServer(routes, [":9100"], config))

Typical exporter (blocking)::

    @click.command()
    @web_flags(default_listen=":9100")          # --web.listen-address (repeatable),
    def node(web: WebFlags) -> None:            # --web.telemetry-path, --web.config.file,
        registry = CollectorRegistry()          # --web.max-requests
        registry.register(MyCollector(source))
        try:
            serve_exporter(web, [registry], LandingPage("Node Exporter", version="1.0"),
                           instrument=registry)  # or serve_threaded_exporter
        except WebError as err:
            raise click.ClickException(str(err)) from None

The aiohttp adapter's names are imported on first use (PEP 562), so
``from exporters.common.web import WebFlags`` does not bring aiohttp in.
Rendering goes through ``exporters.common.exposition.render``, imported on
the first scrape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.model.lazy import lazy_attributes

from .auth import BasicAuth, Guard
from .config import TLSConfig, WebConfig, load_web_config, parse_web_config
from .errors import ListenAddressError, WebConfigError, WebError
from .flags import DURATION, WebFlags, parse_duration, web_flags
from .landing import LandingPage, Link
from .listen import ListenAddress
from .reply import Reply
from .scrape import (
    HandlerMetrics,
    Renderer,
    ScrapeCore,
    default_renderer,
    encode_metrics,
    gzip_accepted,
    gzip_bytes,
)

if TYPE_CHECKING:
    from .exporter import exporter_app, serve_exporter
    from .metrics import MetricsHandler, accepts_gzip, metrics_response, negotiated_for
    from .server import Server, new_app, serve_until_stopped
    from .threaded import (
        ThreadedServer,
        WebRequest,
        exporter_routes,
        metrics_route,
        serve_threaded_exporter,
        serve_threaded_until_stopped,
    )

#: name -> adapter module, imported on first use.
_LAZY = {
    "exporter_app": "exporter",
    "serve_exporter": "exporter",
    "MetricsHandler": "metrics",
    "accepts_gzip": "metrics",
    "metrics_response": "metrics",
    "negotiated_for": "metrics",
    "Server": "server",
    "new_app": "server",
    "serve_until_stopped": "server",
    "ThreadedServer": "threaded",
    "WebRequest": "threaded",
    "exporter_routes": "threaded",
    "metrics_route": "threaded",
    "serve_threaded_exporter": "threaded",
    "serve_threaded_until_stopped": "threaded",
}


__getattr__ = lazy_attributes(__name__, _LAZY, globals())


__all__ = [
    "DURATION",
    "BasicAuth",
    "Guard",
    "HandlerMetrics",
    "LandingPage",
    "Link",
    "ListenAddress",
    "ListenAddressError",
    "MetricsHandler",
    "Renderer",
    "Reply",
    "ScrapeCore",
    "Server",
    "TLSConfig",
    "ThreadedServer",
    "WebConfig",
    "WebConfigError",
    "WebError",
    "WebFlags",
    "WebRequest",
    "accepts_gzip",
    "default_renderer",
    "encode_metrics",
    "exporter_app",
    "exporter_routes",
    "gzip_accepted",
    "gzip_bytes",
    "load_web_config",
    "metrics_response",
    "metrics_route",
    "negotiated_for",
    "new_app",
    "parse_duration",
    "parse_web_config",
    "serve_exporter",
    "serve_threaded_exporter",
    "serve_threaded_until_stopped",
    "serve_until_stopped",
    "web_flags",
]
