"""The lab server's web UI: Query, Targets, Rules, Alerts and a Grafana
dashboard viewer, as plain HTML + vanilla JS over the HTTP API v1.

``add_ui_routes(app, deps, UiOptions(dashboards_dir=...))`` mounts it on the
API's aiohttp application. Everything is served by the server itself (no CDN,
no build step): ``templates/`` (jinja2 page shells), ``static/`` (JS, CSS).
``grafana``, ``interpolate``, ``variables`` and ``plan`` read dashboards and
turn their panels into queries; the replay report reuses them.
"""

from lab.server.ui.routes import UiOptions, add_ui_routes, default_dashboards_dir

__all__ = ["UiOptions", "add_ui_routes", "default_dashboards_dir"]
