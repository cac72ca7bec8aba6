"""The aiohttp application: routes, parameter reading, error mapping.

``build_app(deps)`` returns an ``aiohttp.web.Application`` serving the
Prometheus HTTP API v1, ``/federate`` and the ``/-/`` lifecycle endpoints;
``mount`` serves it under ``--web.external-url``'s path as Prometheus's route
prefix does (every route under the prefix, ``/`` redirecting to it).
Handlers read parameters (form body first, then URL), run the CPU-bound work
in the query executor and answer with Prometheus's JSON. Every error becomes
Prometheus's error shape with its status; an unexpected exception is logged
here and answered ``internal`` with no traceback in the body.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware
from multidict import MultiMapping

from lab.server.api import admin, encode, federate, query, series, status
from lab.server.api.deps import ApiDeps
from lab.server.api.errors import ApiError, BadDataError, InternalError, UnavailableError
from lab.server.api.params import Form

log = logging.getLogger(__name__)

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
DEPS_KEY: web.AppKey[ApiDeps] = web.AppKey("promlab_api_deps", ApiDeps)
PREFIX_KEY: web.AppKey[str] = web.AppKey("promlab_route_prefix", str)
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CORS = {
    "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type, Origin",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Expose-Headers": "Date",
    "Vary": "Origin",
}
_CORS_ORIGIN = re.compile(r"^(?:.*)$")


def _multi(d: MultiMapping[object]) -> Mapping[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in d.items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


async def read_form(request: web.Request) -> Form:
    body: Mapping[str, list[str]] = {}
    if request.method in ("POST", "PUT", "PATCH") and request.can_read_body:
        try:
            body = _multi(await request.post())
        except web.HTTPException:
            raise
        except Exception as exc:  # a malformed body is the client's error, not a 500
            raise BadDataError(f"error parsing form values: {exc}") from None
    return Form(body, _multi(request.query))


def _json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON)


def _error(exc: ApiError) -> web.Response:
    return _json(encode.error_body(exc.error_type, exc.message), exc.status)


def _text(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/plain", charset="utf-8")


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except ApiError as exc:
        response = _error(exc)
    except web.HTTPNotFound:
        response = _text("404 page not found\n", 404)
    except web.HTTPMethodNotAllowed as exc:
        response = _text("Method Not Allowed\n", 405)
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
    except web.HTTPException:
        raise
    except Exception:  # a bug: log it, answer Prometheus's internal error, no trace
        log.exception("unexpected error serving %s %s", request.method, request.path)
        response = _error(InternalError("internal server error"))
    if request.path.removeprefix(request.app.get(PREFIX_KEY, "")).startswith("/api/"):
        response.headers.update(_CORS)
        origin = request.headers.get("Origin")
        if origin and _CORS_ORIGIN.match(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
    return response


async def _run(deps: ApiDeps, fn: Callable[[], T]) -> T:
    """CPU-bound work off the event loop, so /-/ready and scrapes keep going."""
    return await asyncio.get_running_loop().run_in_executor(deps.executor, fn)


def _deps(request: web.Request) -> ApiDeps:
    return request.app[DEPS_KEY]


# -- queries ---------------------------------------------------------------------------


async def _query(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    now = deps.now_ms()
    result = await _run(
        deps, functools.partial(query.instant_query, deps.queryable, form, deps.settings, now)
    )
    return _json(result.body())


async def _query_range(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    result = await _run(
        deps, functools.partial(query.range_query, deps.queryable, form, deps.settings)
    )
    return _json(result.body())


async def _format_query(request: web.Request) -> web.Response:
    from lab.server.promql.errors import ParseError
    from lab.server.promql.parser.parser import parse
    from lab.server.promql.parser.printer import to_string

    form = await read_form(request)
    try:
        expr = parse(form.get("query"))
    except ParseError as exc:
        raise BadDataError(f'invalid parameter "query": {exc}') from None
    return _json(encode.envelope(encode.json_string(to_string(expr))))


async def _query_exemplars(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    await _run(deps, functools.partial(query.check_exemplars_query, form))
    return _json(encode.envelope("[]"))  # no exemplar storage yet


# -- series metadata -------------------------------------------------------------------


async def _series(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    return _json(await _run(deps, functools.partial(series.series, deps.queryable, form)))


async def _labels(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    return _json(await _run(deps, functools.partial(series.label_names, deps.queryable, form)))


async def _label_values(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    name = request.match_info["name"]
    return _json(
        await _run(deps, functools.partial(series.label_values, deps.queryable, name, form))
    )


async def _metadata(request: web.Request) -> web.Response:
    return _json(status.metadata(_deps(request), await read_form(request)))


async def _targets(request: web.Request) -> web.Response:
    return _json(status.targets(_deps(request), await read_form(request)))


async def _targets_metadata(request: web.Request) -> web.Response:
    return _json(status.targets_metadata(_deps(request), await read_form(request)))


# -- status ----------------------------------------------------------------------------


async def _buildinfo(request: web.Request) -> web.Response:
    return _json(status.buildinfo(_deps(request)))


async def _config(request: web.Request) -> web.Response:
    return _json(status.config(_deps(request)))


async def _flags(request: web.Request) -> web.Response:
    return _json(status.flags(_deps(request)))


async def _runtimeinfo(request: web.Request) -> web.Response:
    return _json(status.runtimeinfo(_deps(request)))


async def _tsdb(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    return _json(await _run(deps, functools.partial(status.tsdb, deps, form)))


async def _rules(request: web.Request) -> web.Response:
    return _json(status.rules(_deps(request), await read_form(request)))


async def _alerts(request: web.Request) -> web.Response:
    return _json(status.alerts(_deps(request)))


async def _alertmanagers(request: web.Request) -> web.Response:
    return _json(status.alertmanagers(_deps(request)))


def _admin_deps(request: web.Request) -> ApiDeps:
    deps = _deps(request)
    if not deps.admin_enabled:
        raise UnavailableError("admin APIs disabled", status=500)
    return deps


async def _delete_series(request: web.Request) -> web.Response:
    deps = _admin_deps(request)
    form = await read_form(request)
    await _run(deps, functools.partial(admin.delete_series, deps.queryable, form))
    return web.Response(status=204)


async def _clean_tombstones(request: web.Request) -> web.Response:
    deps = _admin_deps(request)
    await _run(deps, functools.partial(admin.clean_tombstones, deps.queryable))
    return web.Response(status=204)


async def _snapshot(request: web.Request) -> web.Response:
    deps = _admin_deps(request)
    form = await read_form(request)
    work = functools.partial(admin.snapshot, deps.queryable, deps.storage_path, form)
    return _json(await _run(deps, work))


async def _options(request: web.Request) -> web.Response:
    return web.Response(status=200)


# -- federation and lifecycle ----------------------------------------------------------


async def _federate(request: web.Request) -> web.Response:
    deps, form = _deps(request), await read_form(request)
    work = functools.partial(
        federate.federate,
        deps.queryable,
        form.getall("match[]"),
        deps.now_ms(),
        deps.settings.lookback_delta_ms,
        deps.external_labels(),
    )
    try:
        body = await _run(deps, work)
    except BadDataError as exc:
        return _text(exc.message + "\n", 400)
    return web.Response(body=body, headers={"Content-Type": federate.CONTENT_TYPE})


async def _ready(request: web.Request) -> web.Response:
    if not _deps(request).is_ready():
        return _text("Service Unavailable\n", 503)
    return _text("Prometheus Server is Ready.\n")


async def _healthy(request: web.Request) -> web.Response:
    return _text("Prometheus Server is Healthy.\n")


async def _lifecycle_get(request: web.Request) -> web.Response:
    return _text("Only POST or PUT requests allowed\n", 405)


async def _reload(request: web.Request) -> web.Response:
    deps = _deps(request)
    if not deps.lifecycle_enabled or deps.reload is None:
        return _text("Lifecycle API is not enabled.\n", 403)
    try:
        await deps.reload()
    except Exception as exc:  # the reason goes to the client, as upstream
        return _text(f"failed to reload config: {exc}\n", 500)
    return web.Response(status=200)


async def _quit(request: web.Request) -> web.Response:
    deps = _deps(request)
    if not deps.lifecycle_enabled:
        return _text("Lifecycle API is not enabled.\n", 403)
    asyncio.get_running_loop().call_soon(deps.quit)
    return _text("Requesting termination... Goodbye!\n")


def route_prefix(external_url: str) -> str:
    """``--web.route-prefix``'s default: the path of ``--web.external-url``
    without its trailing slash ("" for the root)."""
    path = urllib.parse.urlsplit(external_url).path.strip("/") if external_url else ""
    return "/" + path if path else ""


def mount(root: web.Application, prefix: str, app: web.Application) -> None:
    """Serve ``app`` under ``prefix`` on ``root``; ``/`` redirects (302) to it."""
    app[PREFIX_KEY] = prefix

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(prefix)

    root.middlewares.append(_errors)  # Prometheus's 404 text outside the prefix too
    root.add_subapp(prefix, app)
    root.router.add_get("/", redirect)


def build_app(
    deps: ApiDeps,
    base: web.Application | None = None,
    *,
    outer_middlewares: Sequence[Middleware] = (),
) -> web.Application:
    """The API's routes on ``base`` (e.g. the web layer's app with TLS and auth
    middlewares, from ``exporters.common.web.new_app``) or on a new app.
    ``outer_middlewares`` see each response after errors became responses
    (e.g. a request counter)."""
    app = base if base is not None else web.Application(client_max_size=16 * 1024 * 1024)
    app.middlewares.extend(outer_middlewares)
    app.middlewares.append(_errors)
    app[DEPS_KEY] = deps
    r = app.router
    for path, handler in (
        ("/api/v1/query", _query),
        ("/api/v1/query_range", _query_range),
        ("/api/v1/query_exemplars", _query_exemplars),
        ("/api/v1/format_query", _format_query),
        ("/api/v1/series", _series),
        ("/api/v1/labels", _labels),
    ):
        r.add_get(path, handler)
        r.add_post(path, handler)
        r.add_route("OPTIONS", path, _options)
    for path, handler in (
        ("/api/v1/label/{name}/values", _label_values),
        ("/api/v1/metadata", _metadata),
        ("/api/v1/targets", _targets),
        ("/api/v1/targets/metadata", _targets_metadata),
        ("/api/v1/status/buildinfo", _buildinfo),
        ("/api/v1/status/config", _config),
        ("/api/v1/status/flags", _flags),
        ("/api/v1/status/runtimeinfo", _runtimeinfo),
        ("/api/v1/status/tsdb", _tsdb),
        ("/api/v1/rules", _rules),
        ("/api/v1/alerts", _alerts),
        ("/api/v1/alertmanagers", _alertmanagers),
        ("/federate", _federate),
        ("/-/healthy", _healthy),
        ("/-/ready", _ready),
    ):
        r.add_get(path, handler)
    for name, admin_handler in (
        ("delete_series", _delete_series),
        ("clean_tombstones", _clean_tombstones),
        ("snapshot", _snapshot),
    ):
        r.add_post(f"/api/v1/admin/tsdb/{name}", admin_handler)
        r.add_put(f"/api/v1/admin/tsdb/{name}", admin_handler)
    for path, handler in (("/-/reload", _reload), ("/-/quit", _quit)):
        r.add_get(path, _lifecycle_get)
        r.add_post(path, handler)
        r.add_put(path, handler)
    return app
