"""A dashboard made ready to query: variables resolved, expressions
interpolated, one range query window per panel.

The viewer's browser side runs the planned queries against ``/api/v1``; the
replay report runs them in-process (``evaluate_panel``). Both go through
``plan_dashboard``, so a panel shows the same series in both places.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lab.server.storage.interface import Queryable
from lab.server.ui.grafana import Dashboard, Panel
from lab.server.ui.interpolate import (
    QueryWindow,
    interpolate,
    legend,
    query_window,
    selections_to_query,
)
from lab.server.ui.variables import ResolvedVariable, resolve_variables, selections

#: the width, in CSS pixels, the viewer lays the 24-column grid out on
GRID_WIDTH_PX = 1_400


@dataclass(frozen=True, slots=True)
class PanelQuery:
    ref_id: str
    expr: str
    legend_format: str
    instant: bool


@dataclass(frozen=True, slots=True)
class PanelPlan:
    panel: Panel
    queries: tuple[PanelQuery, ...]
    window: QueryWindow


@dataclass(frozen=True, slots=True)
class DashboardPlan:
    dashboard: Dashboard
    from_ms: int
    to_ms: int
    variables: tuple[ResolvedVariable, ...]
    panels: tuple[PanelPlan, ...]


def plan_dashboard(
    dashboard: Dashboard,
    queryable: Queryable,
    *,
    from_ms: int,
    to_ms: int,
    scrape_interval_ms: int,
    requested: Mapping[str, Sequence[str]] | None = None,
    grid_width_px: int = GRID_WIDTH_PX,
) -> DashboardPlan:
    # Variables are resolved with the dashboard-wide built-ins ($__range ...).
    base = query_window(from_ms, to_ms, scrape_interval_ms=scrape_interval_ms)
    resolved = resolve_variables(
        dashboard.variables, queryable, from_ms, to_ms, requested or {}, base.builtins
    )
    values = selections(resolved)
    panels: list[PanelPlan] = []
    for panel in dashboard.panels:
        points = max(int(grid_width_px * panel.grid[2] / 24), 50)
        window = query_window(
            from_ms,
            to_ms,
            scrape_interval_ms=scrape_interval_ms,
            max_data_points=points,
            min_interval=panel.interval or next((t.interval for t in panel.targets), ""),
        )
        queries = tuple(
            PanelQuery(
                t.ref_id,
                interpolate(t.expr, values, window.builtins),
                t.legend_format,
                # Grafana tables show each series' current value: an instant query.
                t.instant or panel.type == "table",
            )
            for t in panel.targets
        )
        panels.append(PanelPlan(panel, queries, window))
    return DashboardPlan(dashboard, from_ms, to_ms, tuple(resolved), tuple(panels))


def plan_json(plan: DashboardPlan) -> dict[str, Any]:
    """The plan as the viewer's script reads it."""
    d = plan.dashboard
    return {
        "uid": d.uid,
        "title": d.title,
        "from": plan.from_ms,
        "to": plan.to_ms,
        "variables": [
            {
                "name": v.name,
                "label": v.variable.label or v.name,
                "type": v.variable.type,
                "hide": v.variable.hide,
                "multi": v.variable.multi,
                "includeAll": v.variable.include_all,
                "options": list(v.options),
                "selected": ["$__all"] if v.selection.all else list(v.selection.values),
                "error": v.error,
            }
            for v in plan.variables
        ],
        "query": selections_to_query(selections(plan.variables)),
        "panels": [
            {
                "id": p.panel.id,
                "title": p.panel.title,
                "type": p.panel.type,
                "drawn": p.panel.drawn,
                "row": p.panel.row,
                "description": p.panel.description,
                "gridPos": dict(zip("xywh", p.panel.grid, strict=True)),
                "unit": p.panel.unit,
                "min": p.panel.min,
                "max": p.panel.max,
                "decimals": p.panel.decimals,
                "start": p.window.start_ms,
                "end": p.window.end_ms,
                "step": p.window.step_ms,
                "targets": [
                    {
                        "refId": q.ref_id,
                        "expr": q.expr,
                        "legendFormat": q.legend_format,
                        "instant": q.instant,
                    }
                    for q in p.queries
                ],
            }
            for p in plan.panels
        ],
    }


@dataclass(frozen=True, slots=True)
class PlottedSeries:
    name: str
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PanelData:
    plan: PanelPlan
    series: tuple[PlottedSeries, ...]
    errors: tuple[str, ...] = ()


def evaluate_panel(plan: PanelPlan, queryable: Queryable, engine: Any = None) -> PanelData:
    """Run a panel's queries in-process (range queries over its window;
    instant ones at its end), as the viewer would over HTTP."""
    from lab.model.errors import LabError
    from lab.server.promql.engine import Engine, MatrixResult, ScalarResult, VectorResult

    eng = engine if engine is not None else Engine()
    w = plan.window
    out: list[PlottedSeries] = []
    errors: list[str] = []
    for q in plan.queries:
        try:
            if q.instant:
                value = eng.instant_query(queryable, q.expr, w.end_ms).value
            else:
                value = eng.range_query(queryable, q.expr, w.start_ms, w.end_ms, w.step_ms).value
        except LabError as exc:
            errors.append(f"{q.ref_id}: {exc}")
            continue
        if isinstance(value, MatrixResult):
            for s in value.series:
                ts = np.fromiter((t for t, _ in s.points), np.int64, len(s.points))
                vs = np.fromiter((v for _, v in s.points), np.float64, len(s.points))
                name = legend(q.legend_format, s.labels.to_dict(), q.ref_id)
                out.append(PlottedSeries(name, ts, vs))
        elif isinstance(value, VectorResult):
            for smp in value.samples:
                name = legend(q.legend_format, smp.labels.to_dict(), q.ref_id)
                out.append(PlottedSeries(name, np.array([w.end_ms]), np.array([smp.value])))
        elif isinstance(value, ScalarResult) and not math.isnan(value.value):
            out.append(PlottedSeries(q.ref_id, np.array([value.t_ms]), np.array([value.value])))
    return PanelData(plan, tuple(out), tuple(errors))
