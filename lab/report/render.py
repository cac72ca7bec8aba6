"""``write_report(path, result, dashboards)``: the HTML file itself.

Each dashboard is planned over the whole replay with the viewer's code
(variables resolved against the replay's storage: "All" where offered,
otherwise the saved or first value) and every drawn panel's queries run as
range queries, instant ones included, so each panel becomes a line plot of
the incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab.report.model import ReplayResult, ScenarioRunLike, from_scenario_run
from lab.server.ui.grafana import Dashboard, load_dashboard

HERE = Path(__file__).parent
#: points per panel plot: the replay's length divided into this many steps at most
PLOT_POINTS = 400


@dataclass(frozen=True, slots=True)
class PanelImage:
    title: str
    type: str
    png: str
    series: int
    errors: tuple[str, ...]
    exprs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DashboardSection:
    title: str
    file: str
    panels: tuple[PanelImage, ...]


def _as_result(result: ReplayResult | ScenarioRunLike) -> ReplayResult:
    return result if isinstance(result, ReplayResult) else from_scenario_run(result)


def _dashboards(items: Sequence[Dashboard | str | Path]) -> list[Dashboard]:
    return [d if isinstance(d, Dashboard) else load_dashboard(d) for d in items]


def dashboard_section(dashboard: Dashboard, result: ReplayResult) -> DashboardSection:
    from dataclasses import replace

    from lab.report.plots import panel_png
    from lab.server.promql.engine import Engine
    from lab.server.ui.plan import evaluate_panel, plan_dashboard

    plan = plan_dashboard(
        dashboard,
        result.queryable,
        from_ms=result.start_ms,
        to_ms=result.end_ms,
        scrape_interval_ms=result.scrape_interval_ms,
        grid_width_px=PLOT_POINTS * 24 // 12,
    )
    engine = Engine()
    images = []
    for p in plan.panels:
        if not p.panel.drawn or not p.queries:
            continue
        # Over a replay every panel is a time series: what a stat or a table
        # showed at any moment is the line at that moment.
        ranged = replace(p, queries=tuple(replace(q, instant=False) for q in p.queries))
        data = evaluate_panel(ranged, result.queryable, engine)
        png = panel_png(
            p.panel.title or "(untitled)",
            data.series,
            p.panel.unit,
            result.faults,
            result.start_ms,
            result.end_ms,
        )
        images.append(
            PanelImage(
                p.panel.title,
                p.panel.type,
                png,
                len(data.series),
                data.errors,
                tuple(q.expr for q in p.queries),
            )
        )
    return DashboardSection(dashboard.title, dashboard.file, tuple(images))


def render_report(
    result: ReplayResult | ScenarioRunLike,
    dashboards: Sequence[Dashboard | str | Path] = (),
    *,
    title: str | None = None,
) -> str:
    import jinja2

    from lab.report.plots import alerts_png, timeline_png

    r = _as_result(result)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    outcomes = [(e, e.outcome(r.alerts)) for e in r.expectations]
    return str(
        env.get_template("report.html.j2").render(
            title=title or f"Replay report: {r.name}",
            r=r,
            fmt=_fmt_time,
            rel=lambda ms: _rel(ms - r.start_ms),
            timeline=timeline_png(r.faults, r.start_ms, r.end_ms, r.baseline_end_ms),
            alerts_img=alerts_png(r.alerts, r.expectations, r.faults, r.start_ms, r.end_ms),
            outcomes=outcomes,
            missed=sum(1 for _, o in outcomes if o != "ok"),
            sections=[dashboard_section(d, r) for d in _dashboards(dashboards)],
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


def write_report(
    path: str | Path,
    result: ReplayResult | ScenarioRunLike,
    dashboards: Sequence[Dashboard | str | Path] = (),
    **options: Any,
) -> Path:
    """Render the report and write it to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.write_text(render_report(result, dashboards, **options), encoding="utf-8")
    return out


def _fmt_time(ms: int | None) -> str:
    if ms is None:
        return "–"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _rel(ms: int | None) -> str:
    if ms is None:
        return "–"
    s = round(ms / 1000)
    sign = "-" if s < 0 else "+"
    s = abs(s)
    return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m"
