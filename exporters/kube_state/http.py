"""HTTP endpoints, as KSM serves them.

Main port (``--host``/``--port``): ``/metrics`` (``?resources=a,b``,
``?exclude_resources=c``; text 0.0.4 or OpenMetrics by ``Accept``; gzip with
``--enable-gzip-encoding``), ``/healthz``, ``/livez``. Telemetry port
(``--telemetry-host``/``--telemetry-port``): ``/metrics`` (the exporter's own
metrics) and ``/readyz`` (200 once every reflector has listed).
"""

from __future__ import annotations

import asyncio
import gzip

from aiohttp import web
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest

from exporters.common.exposition import ExpositionFormat, negotiate

from .app import KubeStateExporter
from .config import split_csv

EXPORTER_KEY: web.AppKey[KubeStateExporter] = web.AppKey("exporter")
GZIP_KEY: web.AppKey[bool] = web.AppKey("gzip")
REGISTRY_KEY: web.AppKey[CollectorRegistry] = web.AppKey("registry")

_LANDING = """<html>
<head><title>Kube Metrics Server</title></head>
<body>
<h1>Kube Metrics</h1>
<ul>
<li><a href='/metrics'>metrics</a></li>
<li><a href='/healthz'>healthz</a></li>
<li><a href='/livez'>livez</a></li>
<li><a href='/readyz'>readyz</a></li>
</ul>
</body>
</html>
"""


def _maybe_gzip(request: web.Request, body: bytes, enabled: bool) -> web.Response:
    headers: dict[str, str] = {}
    if enabled and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers)


async def _metrics(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER_KEY]
    neg = negotiate(request.headers.get("Accept"))
    openmetrics = neg.format is ExpositionFormat.OPENMETRICS
    resources = split_csv(request.query.get("resources", ""))
    exclude = split_csv(request.query.get("exclude_resources", ""))
    # Joining ~10^5 byte strings takes tens of ms: keep the loop free for health checks.
    body = await asyncio.to_thread(
        exporter.render, resources=resources, exclude=exclude, openmetrics=openmetrics
    )
    resp = _maybe_gzip(request, body, request.app[GZIP_KEY])
    resp.headers["Content-Type"] = neg.content_type
    return resp


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def _landing(request: web.Request) -> web.Response:
    return web.Response(text=_LANDING, content_type="text/html")


async def _telemetry_metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY_KEY])
    resp = _maybe_gzip(request, body, request.app[GZIP_KEY])
    resp.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    return resp


async def _readyz(request: web.Request) -> web.Response:
    if request.app[EXPORTER_KEY].ready():
        return web.Response(text="OK")
    return web.Response(status=503, text="not ready: initial lists are not complete")


def main_app(exporter: KubeStateExporter, *, enable_gzip: bool = False) -> web.Application:
    app = web.Application()
    app[EXPORTER_KEY] = exporter
    app[GZIP_KEY] = enable_gzip
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/healthz", _ok)
    app.router.add_get("/livez", _ok)
    app.router.add_get("/", _landing)
    return app


def telemetry_app(exporter: KubeStateExporter, *, enable_gzip: bool = False) -> web.Application:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(exporter.telemetry)
    ProcessCollector(registry=registry)
    app = web.Application()
    app[EXPORTER_KEY] = exporter
    app[GZIP_KEY] = enable_gzip
    app[REGISTRY_KEY] = registry
    app.router.add_get("/metrics", _telemetry_metrics)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/healthz", _ok)
    app.router.add_get("/", _landing)
    return app


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    # "::" listens on every address, IPv4 included (dual-stack), like Go's ":port".
    site = web.TCPSite(runner, None if host in ("", "::", "0.0.0.0") else host, port)
    await site.start()
    bound = int(runner.addresses[0][1]) if runner.addresses else port
    return runner, bound
