"""The UI's HTTP routes, and their wiring into ``promlab server``."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

from lab.clock import VirtualClock
from lab.server.app import PromlabServer, ServerOptions
from tests.lab.server.api.serving import serve
from tests.lab.server.ui.harness import DATA, NOW_MS, demo_storage, ui_app


def test_pages_static_files_and_plan() -> None:
    with serve(lambda: ui_app()) as client:
        root = client.get("/")
        assert root.status == 200 and '<textarea id="expr"' in root.text  # / -> /query
        for path in ("/query", "/graph", "/targets", "/rules", "/alerts"):
            page = client.get(path)
            assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
            assert f'"nowMs": {NOW_MS}' in page.text
        listing = client.get("/dashboards").text
        assert 'href="/dashboards/demo-service"' in listing and "2 timeseries" in listing
        assert client.get("/dashboards/demo-service").status == 200
        assert client.get("/dashboards/nope").status == 404
        css = client.get("/ui/static/app.css")
        assert css.status == 200 and "text/css" in css.headers["Content-Type"]
        plan = client.get(
            "/ui/api/dashboards/demo-service", {"from": "now-1h", "var-job": "worker"}
        )
        data = plan.json()["data"]
        assert data["to"] - data["from"] == 3_600_000
        assert data["variables"][1]["selected"] == ["worker"]
        bad = client.get("/ui/api/dashboards/demo-service", {"from": "now", "to": "now-1h"})
        assert bad.status == 400 and bad.json()["errorType"] == "bad_data"


def test_no_dashboards_directory() -> None:
    with serve(lambda: ui_app(dashboards_dir=None)) as client:
        assert "--web.dashboards-dir" in client.get("/dashboards").text


def test_promlab_server_serves_the_ui(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 30s\n")
    options = ServerOptions(
        config_file=str(config), listen_addresses=("127.0.0.1:0",), dashboards_dir=str(DATA)
    )

    async def main() -> tuple[str, str]:
        server = PromlabServer(options, storage=demo_storage(), clock=VirtualClock(start_ms=NOW_MS))
        urls = await server.start()
        try:

            def get(path: str) -> str:
                with urllib.request.urlopen(urls[0] + path, timeout=30) as resp:
                    return str(resp.read().decode())

            return (
                await asyncio.to_thread(get, "/dashboards"),
                await asyncio.to_thread(get, "/query"),
            )
        finally:
            await server.stop()

    listing, query = asyncio.run(main())
    assert "Demo service" in listing
    assert '"scrapeIntervalMs": 30000' in query  # from the configuration's global section
