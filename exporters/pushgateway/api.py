"""The pushgateway's HTTP API (aiohttp handlers) and its lifecycle.

Routes (under ``--web.route-prefix``): ``PUT|POST|DELETE /metrics/job...``,
the telemetry path, ``/api/v1/metrics``, ``/api/v1/status``,
``PUT /api/v1/admin/wipe``, ``/-/healthy``, ``/-/ready``, ``/-/quit`` and a
landing page at ``/``. Status codes and texts are upstream's (see
``shared/specs/pushgateway.md``). A write is answered only once it is
durable (``Persistence.sync``) when a persistence file is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from exporters.common.exposition import DecompressionError, decompress
from exporters.common.web import (
    LandingPage,
    Link,
    WebConfig,
    metrics_response,
    new_app,
)

from .bodies import BodyParser
from .collector import OWN_HELP, UPSTREAM_OWN_TYPES, SelfMetrics, own_registry, own_text
from .errors import BodyError, GroupingKeyError, InconsistentPushError, PersistenceError
from .grouping import parse_grouping_path
from .model import TYPE_NAMES, metric_api_json
from .persistence import Persistence
from .store import Store

log = logging.getLogger("promlab.pushgateway")
PROTOBUF = "application/vnd.google.protobuf"
CORS = {
    "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type, Origin",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Date",
    "Cache-Control": "no-cache, no-store, must-revalidate",
}


@dataclass
class Options:
    telemetry_path: str = "/metrics"
    route_prefix: str = ""
    enable_lifecycle: bool = False
    enable_admin_api: bool = False
    persistence_file: str = ""
    persistence_interval: float = 300.0
    check: bool = True
    group_ttl: float = 0.0
    version: str = "0.1.0"
    flags: dict[str, str] = field(default_factory=dict)


def _rfc3339(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


class Pushgateway:
    """State, persistence and handlers of one pushgateway."""

    def __init__(self, options: Options, *, clock: Callable[[], float] = time.time) -> None:
        self.options = options
        self.metrics = SelfMetrics(options.version)
        self.registry = own_registry(self.metrics)
        self.persistence = (
            Persistence(options.persistence_file) if options.persistence_file else None
        )
        self.store = Store(
            own_types=UPSTREAM_OWN_TYPES, own_help=OWN_HELP, clock=clock, check=options.check
        )
        self.started = clock()
        self.bodies = BodyParser()
        self.stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle -----------------------------------------------------------------

    def load(self) -> None:
        """Replay the persistence file (start-up; before serving)."""
        if self.persistence is not None:
            n = self.persistence.load(self.store)
            log.info("restored %d records from %s", n, self.persistence.path)
            self.store.journal = self.persistence.journal

    async def start_background(self) -> None:
        if self.persistence is not None and self.options.persistence_interval > 0:
            self._tasks.append(asyncio.create_task(self._compact_loop()))
        if self.options.group_ttl > 0:
            self._tasks.append(asyncio.create_task(self._expire_loop()))

    async def _compact_loop(self) -> None:
        assert self.persistence is not None
        while True:
            await asyncio.sleep(self.options.persistence_interval)
            try:
                await self.persistence.compact(self.store)
            except OSError as exc:
                log.error("error persisting metrics: %s", exc)

    async def _expire_loop(self) -> None:
        interval = min(max(self.options.group_ttl / 10, 0.05), 60.0)
        while True:
            await asyncio.sleep(interval)
            if self.store.expire(self.options.group_ttl) and self.persistence is not None:
                await self.persistence.sync()

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.persistence is not None:
            await self.persistence.close(self.store)

    async def _durable(self) -> None:
        if self.persistence is not None:
            await self.persistence.sync()

    # --- routes --------------------------------------------------------------------

    def app(self, config: WebConfig) -> web.Application:
        app = new_app(config)
        p = self.options.route_prefix.rstrip("/")
        r = app.router
        r.add_get(p + self.options.telemetry_path, self.scrape)
        r.add_route("*", p + "/metrics/{tail:.+}", self.push)
        r.add_route("*", p + "/api/v1/admin/wipe", self.wipe)
        r.add_get(p + "/api/v1/metrics", self.api_metrics)
        r.add_get(p + "/api/v1/status", self.api_status)
        r.add_route("OPTIONS", p + "/api/v1/{tail:.*}", self.api_options)
        r.add_get(p + "/-/healthy", self.healthy)
        r.add_get(p + "/-/ready", self.ready)
        r.add_route("*", p + "/-/quit", self.quit)
        landing = LandingPage(
            "Pushgateway",
            "promlab pushgateway: push acceptor for ephemeral and batch jobs",
            self.options.version,
            (
                Link(self.options.telemetry_path.lstrip("/"), "Metrics"),
                Link("api/v1/status", "Status"),
                Link("api/v1/metrics", "Pushed metrics"),
            ),
        )
        r.add_get(p + "/", landing.handler())
        return app

    def _answer(self, code: int, handler: str, method: str, text: str = "") -> web.Response:
        self.metrics.count_request(code, handler, method)
        if code >= 400:
            return web.Response(status=code, text=text + "\n")
        return web.Response(status=code, text=text)

    async def push(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        method = request.method
        raw = request.raw_path.split("?", 1)[0]
        tail = raw[len(self.options.route_prefix.rstrip("/") + "/metrics/") :]
        if method not in ("PUT", "POST", "DELETE"):
            return web.Response(status=405, text="Method Not Allowed\n")
        if tail in ("job/", "job@base64/"):
            raise web.HTTPTemporaryRedirect(raw.rstrip("/"))
        if not tail.startswith(("job/", "job@base64/")):
            raise web.HTTPNotFound()
        handler = "delete" if method == "DELETE" else "push"
        try:
            grouping = parse_grouping_path(tail)
        except GroupingKeyError as exc:
            return self._answer(400, handler, method, str(exc))
        if method == "DELETE":
            self.store.delete(grouping)
            await self._durable()
            return self._answer(202, handler, method)
        try:
            # aiohttp already undoes Content-Encoding (gzip, deflate); a body
            # that does not decode is the client's error.
            body = await request.read()
        except web.HTTPException:
            raise
        except Exception as exc:
            return self._answer(400, handler, method, f"cannot read the body: {exc}")
        try:
            if request.content_type == PROTOBUF:
                raise BodyError(
                    "delimited protobuf push bodies are not supported by promlab; "
                    "push the text format (Content-Type: text/plain; version=0.0.4)"
                )
            families = self.bodies.parse(decompress(body, None, max_bytes=256 << 20))
        except (BodyError, DecompressionError) as exc:
            return self._answer(400, handler, method, str(exc))
        try:
            self.store.push(grouping, families, replace=method == "PUT")
        except InconsistentPushError as exc:
            log.error("%s (%s %s)", exc, method, raw)
            await self._durable()
            return self._answer(400, handler, method, str(exc))
        try:
            await self._durable()
        except PersistenceError as exc:
            return self._answer(500, handler, method, str(exc))
        self.metrics.observe_push(method, time.perf_counter() - started, len(body))
        return self._answer(200 if self.options.check else 202, handler, method)

    async def wipe(self, request: web.Request) -> web.StreamResponse:
        if not self.options.enable_admin_api:
            raise web.HTTPNotFound()
        if request.method != "PUT":
            return web.Response(status=405, text="Method Not Allowed\n")
        self.store.wipe()
        await self._durable()
        return self._answer(202, "wipe", "put")

    async def scrape(self, request: web.Request) -> web.StreamResponse:
        self.metrics.scrapes_in_flight += 1
        try:
            if not self.options.check:
                problem = self.store.inconsistency()
                if problem is not None:
                    self.metrics.scrapes["500"] += 1
                    return web.Response(
                        status=500,
                        text=f"An error has occurred while serving metrics:\n\n{problem}\n",
                    )
            own, names = own_text(self.registry)
            body = (own + self.store.render(skip_headers=names)).encode()
            self.metrics.scrapes["200"] += 1
            from exporters.common.exposition import TEXT_CONTENT_TYPE

            return metrics_response(request, body, TEXT_CONTENT_TYPE)
        finally:
            self.metrics.scrapes_in_flight -= 1

    def _json(self, handler: str, data: Any) -> web.Response:
        self.metrics.count_request(200, handler, "get")
        body = json.dumps({"status": "success", "data": data})
        return web.Response(text=body, content_type="application/json", headers=CORS)

    async def api_metrics(self, request: web.Request) -> web.StreamResponse:
        groups = []
        for group in self.store.groups.values():
            entry: dict[str, Any] = {"labels": group.labels}
            for name, fam in group.families.items():
                family: dict[str, Any] = {
                    "time_stamp": _rfc3339(fam.pushed_at),
                    "type": TYPE_NAMES[fam.type],
                }
                if fam.help:
                    family["help"] = fam.help
                family["metrics"] = [metric_api_json(fam, m) for m in fam.metrics]
                entry[name] = family
            failure = group.time_of("push_failure_time_seconds")
            entry["last_push_successful"] = failure <= group.time_of("push_time_seconds")
            groups.append(entry)
        return self._json("api/v1/metrics", groups)

    async def api_status(self, request: web.Request) -> web.StreamResponse:
        import platform

        return self._json(
            "api/v1/status",
            {
                "build_information": {
                    "branch": "",
                    "buildDate": "",
                    "buildUser": "",
                    "goVersion": f"python{platform.python_version()}",
                    "revision": "promlab",
                    "version": self.options.version,
                },
                "flags": self.options.flags,
                "start_time": _rfc3339(self.started),
            },
        )

    async def api_options(self, request: web.Request) -> web.StreamResponse:
        self.metrics.count_request(200, "api/v1/options", "options")
        return web.Response(headers=CORS)

    async def healthy(self, request: web.Request) -> web.StreamResponse:
        return self._answer(200, "healthy", "get", "OK")

    async def ready(self, request: web.Request) -> web.StreamResponse:
        return self._answer(200, "ready", "get", "OK")

    async def quit(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("PUT", "POST"):
            return web.Response(status=405, text="Only POST or PUT requests allowed.\n")
        if not self.options.enable_lifecycle:
            return web.Response(status=403, text="Lifecycle API is not enabled.\n")
        asyncio.get_running_loop().call_soon(self.stop.set)
        return web.Response(text="Requesting termination... Goodbye!")
