"""The web UI's routes: server-rendered page shells plus static JS/CSS.

Pages are jinja2 templates with the server's notion of "now" in them (a lab
server may run on a virtual clock, or hold a replay from another day), and
each page's script reads the Prometheus API v1 like any other client. The
dashboard viewer also gets a plan from ``/ui/api/dashboards/<uid>``:
variables resolved and expressions interpolated server-side (the same code
the replay report uses), queries then run by the browser.

Dashboards are read from disk on every request: a directory of a few JSON
files is cheap to list, and edits show up on reload without a restart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from lab.server.api.deps import ApiDeps
from lab.server.ui.grafana import Dashboard, DashboardError, list_dashboards, panel_types
from lab.server.ui.interpolate import parse_time

HERE = Path(__file__).parent
STATIC_PREFIX = "/ui/static"
DEFAULT_SCRAPE_INTERVAL_MS = 15_000
_NAV = (
    ("query", "/query", "Query"),
    ("alerts", "/alerts", "Alerts"),
    ("rules", "/rules", "Rules"),
    ("targets", "/targets", "Targets"),
    ("dashboards", "/dashboards", "Dashboards"),
)


@dataclass(frozen=True)
class UiOptions:
    #: where the Grafana dashboards live (``--web.dashboards-dir``); None: none
    dashboards_dir: str | None = None
    #: the scrape interval ``$__rate_interval`` is computed from
    scrape_interval_ms: int = DEFAULT_SCRAPE_INTERVAL_MS
    title: str = "promlab"


@dataclass(frozen=True)
class _Ui:
    deps: ApiDeps
    options: UiOptions
    env: Any  # jinja2.Environment (imported lazily: the API alone does not need it)


UI_KEY: web.AppKey[_Ui] = web.AppKey("promlab_ui", _Ui)


def default_dashboards_dir() -> str | None:
    """``dashboards/`` in the working directory if it exists."""
    return "dashboards" if Path("dashboards").is_dir() else None


def add_ui_routes(app: web.Application, deps: ApiDeps, options: UiOptions | None = None) -> None:
    """Mount the UI on ``app`` (the API's application, sharing its auth)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    app[UI_KEY] = _Ui(deps, options or UiOptions(), env)
    r = app.router
    r.add_get("/", _root)
    r.add_get("/query", _page("query", "Query"))
    r.add_get("/graph", _page("query", "Query"))  # generator URLs and old links
    r.add_get("/targets", _page("targets", "Targets"))
    r.add_get("/rules", _page("rules", "Rules"))
    r.add_get("/alerts", _page("alerts", "Alerts"))
    r.add_get("/dashboards", _dashboards)
    r.add_get("/dashboards/{uid}", _dashboard)
    r.add_get("/ui/api/dashboards/{uid}", _plan)
    r.add_static(STATIC_PREFIX, str(HERE / "static"), append_version=False)


def _ui(request: web.Request) -> _Ui:
    return request.app[UI_KEY]


def _render(
    request: web.Request, template: str, active: str, title: str, **ctx: Any
) -> web.Response:
    ui = _ui(request)
    page = {
        "nowMs": ui.deps.now_ms(),
        "scrapeIntervalMs": ui.options.scrape_interval_ms,
        **ctx.pop("page", {}),
    }
    html = ui.env.get_template(template).render(
        nav=_NAV,
        active=active,
        title=title,
        brand=ui.options.title,
        static=STATIC_PREFIX,
        page_json=json.dumps(page).replace("</", "<\\/"),
        **ctx,
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def _root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/query")


def _page(name: str, title: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        return _render(request, f"{name}.html", name, title)

    return handler


def _all(request: web.Request) -> list[Dashboard | DashboardError]:
    directory = _ui(request).options.dashboards_dir
    return list_dashboards(directory) if directory else []


def _find(request: web.Request, uid: str) -> Dashboard:
    for d in _all(request):
        if isinstance(d, Dashboard) and uid in (d.uid, Path(d.file).stem):
            return d
    raise web.HTTPNotFound()


async def _dashboards(request: web.Request) -> web.Response:
    found = _all(request)
    rows = [
        {
            "uid": d.uid,
            "title": d.title,
            "file": d.file,
            "tags": d.tags,
            "panels": len(d.panels),
            "types": ", ".join(f"{n} {t}" for t, n in sorted(panel_types(d.panels).items())),
        }
        for d in found
        if isinstance(d, Dashboard)
    ]
    errors = [str(e) for e in found if isinstance(e, DashboardError)]
    return _render(
        request,
        "dashboards.html",
        "dashboards",
        "Dashboards",
        dashboards=rows,
        errors=errors,
        directory=_ui(request).options.dashboards_dir,
    )


async def _dashboard(request: web.Request) -> web.Response:
    d = _find(request, request.match_info["uid"])
    page = {"uid": d.uid, "timeFrom": d.time_from, "timeTo": d.time_to}
    return _render(request, "dashboard.html", "dashboards", d.title, dashboard=d, page=page)


async def _plan(request: web.Request) -> web.Response:
    from lab.server.api.errors import BadDataError
    from lab.server.ui.plan import plan_dashboard, plan_json

    ui = _ui(request)
    d = _find(request, request.match_info["uid"])
    now = ui.deps.now_ms()
    q = request.query
    from_ms = parse_time(q.get("from", d.time_from), now)
    to_ms = parse_time(q.get("to", d.time_to), now)
    if from_ms is None or to_ms is None or from_ms >= to_ms:
        raise BadDataError(f"invalid time range: from={q.get('from')!r} to={q.get('to')!r}")
    requested: dict[str, list[str]] = {}
    for key, value in q.items():
        if key.startswith("var-"):
            requested.setdefault(key[4:], []).append(value)

    def work() -> dict[str, Any]:
        plan = plan_dashboard(
            d,
            ui.deps.queryable,
            from_ms=from_ms,
            to_ms=to_ms,
            scrape_interval_ms=ui.options.scrape_interval_ms,
            requested=requested,
        )
        return plan_json(plan)

    import asyncio

    body = await asyncio.get_running_loop().run_in_executor(ui.deps.executor, work)
    return web.json_response({"status": "success", "data": body})
