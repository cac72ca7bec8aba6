"""The web UI tests' harness: the demo dataset in memory, the API + UI
served on a loopback port, and (for the browser tests) Debian's Chromium
driven by playwright.

The UI's server here can answer ``/api/v1/rules`` and ``/api/v1/alerts``
from canned Prometheus-shaped documents (``RULES`` / ``ALERTS``), so the pages
are tested against the API's contract with fixed times and values;
``test_browser_real_rules.py`` runs the same pages over a real ``promlab
server`` whose rules fire over the preloaded dataset.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from lab.scenarios.dataset import DatasetSpec, DemoDataset
from lab.server.api.deps import ApiDeps
from lab.server.api.routes import build_app
from lab.server.storage.memory import MemoryStorage
from lab.server.ui import UiOptions, add_ui_routes

DATA = Path(__file__).parent / "data"
START_MS = 1_772_456_400_000  # 2026-03-02T13:00:00Z
SPEC = DatasetSpec(instances=4, start_ms=START_MS, duration_ms=6 * 3_600_000)
NOW_MS = START_MS + SPEC.duration_ms
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: every wait in a browser test is bounded by this (ms); none is a timing assertion
WAIT_MS = 20_000

RULES: dict[str, Any] = {
    "groups": [
        {
            "name": "demo.rules",
            "file": "rulepacks/demo/demo.rules.yml",
            "interval": 60,
            "limit": 0,
            "evaluationTime": 0.0012,
            "lastEvaluation": "2026-03-02T18:59:00Z",
            "rules": [
                {
                    "name": "job:demo_http_requests:rate5m",
                    "query": "sum by (job) (rate(demo_http_requests_total[5m]))",
                    "labels": {},
                    "health": "ok",
                    "lastError": "",
                    "evaluationTime": 0.0004,
                    "lastEvaluation": "2026-03-02T18:59:00Z",
                    "type": "recording",
                },
                {
                    "state": "firing",
                    "name": "DemoHighLatency",
                    "query": "histogram_quantile(0.99, sum by (job, le) "
                    "(rate(demo_request_duration_seconds_bucket[5m]))) > 1",
                    "duration": 300,
                    "keepFiringFor": 0,
                    "labels": {"severity": "warning"},
                    "annotations": {"summary": "p99 latency is high."},
                    "alerts": [],
                    "health": "ok",
                    "lastError": "",
                    "evaluationTime": 0.0007,
                    "lastEvaluation": "2026-03-02T18:59:00Z",
                    "type": "alerting",
                },
            ],
        }
    ]
}
ALERTS: dict[str, Any] = {
    "alerts": [
        {
            "labels": {"alertname": "DemoHighLatency", "job": "api", "severity": "warning"},
            "annotations": {
                "summary": "p99 latency is high.",
                "description": "p99 latency of api is 4.2s.",
            },
            "state": "firing",
            "activeAt": "2026-03-02T16:12:00Z",
            "value": "4.2e+00",
        },
        {
            "labels": {"alertname": "DemoHighLatency", "job": "worker", "severity": "warning"},
            "annotations": {"summary": "p99 latency is high."},
            "state": "pending",
            "activeAt": "2026-03-02T18:57:00Z",
            "value": "1.3e+00",
        },
    ]
}
RULES["groups"][0]["rules"][1]["alerts"] = ALERTS["alerts"]


@cache
def demo_storage() -> MemoryStorage:
    """The demo dataset, 6 h at 15 s, 4 instances (loaded once per session)."""
    st = MemoryStorage()
    DemoDataset(SPEC).load_into(st)
    return st


def _canned(rules: dict[str, Any] | None, alerts: dict[str, Any] | None) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        for path, doc in (("/api/v1/rules", rules), ("/api/v1/alerts", alerts)):
            if request.path == path and doc is not None:
                return web.json_response({"status": "success", "data": doc})
        response: web.StreamResponse = await handler(request)
        return response

    return middleware


def ui_app(
    *,
    dashboards_dir: Path | None = DATA,
    rules: dict[str, Any] | None = None,
    alerts: dict[str, Any] | None = None,
    targets: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> web.Application:
    deps = ApiDeps(
        queryable=demo_storage(),
        now_ms=lambda: NOW_MS,
        targets=(lambda: targets) if targets is not None else None,
    )
    app = web.Application(middlewares=[_canned(rules, alerts)])
    build_app(deps, app)
    add_ui_routes(
        app,
        deps,
        UiOptions(
            dashboards_dir=str(dashboards_dir) if dashboards_dir else None,
            scrape_interval_ms=SPEC.interval_ms,
        ),
    )
    return app


TARGETS = (
    [
        {
            "discoveredLabels": {"__address__": "10.0.0.0:9100", "job": "api"},
            "labels": {"instance": "10.0.0.0:9100", "job": "api"},
            "scrapePool": "api",
            "scrapeUrl": "http://10.0.0.0:9100/metrics",
            "globalUrl": "http://10.0.0.0:9100/metrics",
            "lastError": "",
            "lastScrape": "2026-03-02T18:59:51.2Z",
            "lastScrapeDuration": 0.0042,
            "health": "up",
            "scrapeInterval": "15s",
            "scrapeTimeout": "10s",
        },
        {
            "discoveredLabels": {"__address__": "10.0.0.1:9100", "job": "api"},
            "labels": {"instance": "10.0.0.1:9100", "job": "api"},
            "scrapePool": "api",
            "scrapeUrl": "http://10.0.0.1:9100/metrics",
            "globalUrl": "http://10.0.0.1:9100/metrics",
            "lastError": 'Get "http://10.0.0.1:9100/metrics": connection refused',
            "lastScrape": "2026-03-02T18:59:48Z",
            "lastScrapeDuration": 0.0011,
            "health": "down",
            "scrapeInterval": "15s",
            "scrapeTimeout": "10s",
        },
    ],
    [],
)


@dataclass
class Browser:
    """A playwright browser (sync API) and the base URL of the UI under test."""

    browser: Any
    base: str

    def page(self) -> Any:
        page = self.browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page


def chromium_path() -> str | None:
    override = os.environ.get("PROMLAB_CHROMIUM_BIN")
    if override:
        return override if Path(override).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(page: Any, name: str) -> None:
    """One screenshot per page to /tmp (or $PROMLAB_SCREENSHOTS), for eyes."""
    directory = Path(os.environ.get("PROMLAB_SCREENSHOTS", "/tmp"))
    page.screenshot(path=str(directory / f"promlab-ui-{name}.png"), full_page=True)


def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text())
