"""Small builders for Grafana's classic dashboard JSON model.

Panels are laid out automatically on the 24-column grid (left to right,
wrapping), numbered in order, and every panel and target uses the
``${datasource}`` variable, as dashboard-linter expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Target:
    expr: str
    legend: str = "__auto"
    instant: bool = False


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    description: str
    targets: tuple[Target, ...]
    unit: str = "short"
    kind: str = "timeseries"  # timeseries | stat | heatmap | row
    width: int = 12
    height: int = 8
    extra: Json = field(default_factory=dict)


def ts(title: str, description: str, *exprs: str | Target, unit: str = "short",
       width: int = 12, stacked: bool = False) -> Panel:
    targets = tuple(t if isinstance(t, Target) else Target(t) for t in exprs)
    extra: Json = {}
    if stacked:
        extra = {"fieldConfig": {"defaults": {"custom": {"stacking": {"mode": "normal"},
                                                         "fillOpacity": 30}}}}
    return Panel(title, description, targets, unit, "timeseries", width, 8, extra)


def stat(title: str, description: str, expr: str, unit: str = "short", width: int = 6,
         thresholds: tuple[float, ...] = ()) -> Panel:
    steps: list[Json] = [{"color": "green", "value": None}]
    for value, color in zip(thresholds, ("orange", "red"), strict=False):
        steps.append({"color": color, "value": value})
    extra = {"fieldConfig": {"defaults": {"thresholds": {"mode": "absolute", "steps": steps}}}}
    return Panel(title, description, (Target(expr),), unit, "stat", width, 4, extra)


def heatmap(title: str, description: str, expr: str, width: int = 12) -> Panel:
    target = Target(expr, legend="{{le}}")
    return Panel(title, description, (target,), "s", "heatmap", width, 8,
                 {"options": {"calculate": False, "yAxis": {"unit": "s"}}})


def row(title: str) -> Panel:
    return Panel(title, "", (), "", "row", 24, 1)


def query_variable(name: str, label: str, query: str, *, multi: bool = True) -> Json:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery",
                  "qryType": 1},
        "definition": query,
        "refresh": 2,  # on time-range change, so new pods/nodes appear
        "multi": multi,
        "includeAll": multi,
        "allValue": ".+",
        "sort": 1,
        "regex": "",
        "hide": 0,
        "current": {},
        "options": [],
    }


def datasource_variable() -> Json:
    return {"name": "datasource", "label": "Data source", "type": "datasource",
            "query": "prometheus", "regex": "", "hide": 0, "current": {}, "options": [],
            "refresh": 1}


def _panel_json(p: Panel, pid: int, x: int, y: int) -> Json:
    if p.kind == "row":
        return {"id": pid, "type": "row", "title": p.title, "collapsed": False,
                "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []}
    targets = []
    for i, t in enumerate(p.targets):
        target: Json = {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": t.expr,
                        "legendFormat": t.legend, "editorMode": "code", "range": not t.instant,
                        "instant": t.instant}
        if p.kind == "heatmap":
            target["format"] = "heatmap"
        targets.append(target)
    out: Json = {
        "id": pid,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": p.width, "h": p.height},
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": p.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "calcs": []},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    }
    if p.kind == "stat":
        out["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                            "values": False},
                          "colorMode": "value", "graphMode": "area"}
    for key, value in p.extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _merge(a: Json, b: Json) -> Json:
    merged = dict(a)
    for k, v in b.items():
        merged[k] = _merge(merged[k], v) if isinstance(v, dict) and isinstance(
            merged.get(k), dict) else v
    return merged


def dashboard(uid: str, title: str, description: str, tags: list[str], variables: list[Json],
              panels: list[Panel], time_from: str = "now-6h") -> Json:
    laid: list[Json] = []
    x = y = line_height = 0
    for pid, p in enumerate(panels, start=1):
        if p.kind == "row" or x + p.width > 24:
            y += line_height
            x = line_height = 0
        laid.append(_panel_json(p, pid, x, y))
        if p.kind == "row":
            y += 1
            continue
        x += p.width
        line_height = max(line_height, p.height)
    return {
        "uid": uid,
        "id": None,
        "title": title,
        "description": description,
        "tags": ["promlab", *tags],
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "1m",
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": "utc",
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [{"type": "dashboards", "tags": ["promlab"], "asDropdown": True,
                   "title": "promlab dashboards", "includeVars": False, "keepTime": True}],
        "templating": {"list": [datasource_variable(), *variables]},
        "panels": laid,
    }
