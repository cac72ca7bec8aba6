"""HTTP endpoints, as KSM serves them.

Main port (``--host``/``--port``): ``/metrics`` (``?resources=a,b``,
``?exclude_resources=c``; text 0.0.4 or OpenMetrics by ``Accept``; gzip with
``--enable-gzip-encoding``), ``/healthz``, ``/livez``. ``/metrics`` is streamed
in chunks of ~256 KB (with a Content-Length; gzip compresses chunk by chunk):
10,000 pods make a ~90 MB body, which the exporter never holds whole. Telemetry port
(``--telemetry-host``/``--telemetry-port``): ``/metrics`` (the exporter's own
metrics) and ``/readyz`` (200 once every reflector has listed).
"""

from __future__ import annotations

import asyncio
import gzip
import zlib

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


def _accepts_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


async def _metrics(request: web.Request) -> web.StreamResponse:
    exporter = request.app[EXPORTER_KEY]
    neg = negotiate(request.headers.get("Accept"))
    openmetrics = neg.format is ExpositionFormat.OPENMETRICS
    scrape = exporter.scrape(
        resources=split_csv(request.query.get("resources", "")),
        exclude=split_csv(request.query.get("exclude_resources", "")),
        openmetrics=openmetrics,
    )
    resp = web.StreamResponse(headers={"Content-Type": neg.content_type})
    compressor = None
    if request.app[GZIP_KEY] and _accepts_gzip(request):
        # wbits 31: a gzip container, as gzip.compress; level 1 as before (speed over size)
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
        resp.headers["Content-Encoding"] = "gzip"
    else:
        resp.content_length = scrape.content_length()
    await resp.prepare(request)
    if request.method == "HEAD":
        return resp
    try:
        # Chunks are made on the loop, each a few ms of work; the sleep(0) lets health
        # checks in when the client reads fast enough that writes never wait.
        for chunk in scrape.chunks():
            data = compressor.compress(chunk) if compressor is not None else chunk
            if data:
                await resp.write(data)
            await asyncio.sleep(0)
        if compressor is not None:
            await resp.write(compressor.flush())
        await resp.write_eof()
    except ConnectionResetError:
        pass  # the scraper went away (timeout): nothing left to do
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
