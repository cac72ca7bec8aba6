"""Grafana dashboard JSON, read into the little the viewer and the report need.

``load_dashboard(path)`` accepts the classic model and the V1 resource
(``{"spec": {...}}``); V2 resources (``spec.elements``) are refused with a
``DashboardError``, as are files that are not dashboards. Rows are flattened
(a collapsed row's children live in its own ``panels``), legacy ``rows[]``
dashboards (schema < 16) too, and legacy panel types are mapped to the ones
we draw (``graph`` -> ``timeseries``, ``singlestat`` -> ``stat``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.model.errors import LabError

#: panel types the viewer draws; anything else (rows included) shows its title only
DRAWN_TYPES = frozenset({"timeseries", "stat", "gauge", "bargauge", "table"})
_LEGACY_TYPES = {"graph": "timeseries", "singlestat": "stat", "table-old": "table"}


class DashboardError(LabError):
    """A file that is not a dashboard we can read (bad JSON, V2 model ...)."""


@dataclass(frozen=True, slots=True)
class Target:
    ref_id: str
    expr: str
    legend_format: str = ""
    instant: bool = False
    #: the target's minimum step (``interval``), e.g. ``"30s"``; empty: none
    interval: str = ""


@dataclass(frozen=True, slots=True)
class Panel:
    id: int
    title: str
    type: str
    grid: tuple[int, int, int, int]  # x, y, w, h on Grafana's 24-column grid
    targets: tuple[Target, ...] = ()
    description: str = ""
    unit: str = ""
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    #: the panel's minimum step (``interval``) if set
    interval: str = ""
    #: the row the panel sits in ("" above the first row)
    row: str = ""

    @property
    def drawn(self) -> bool:
        return self.type in DRAWN_TYPES


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: str
    label: str = ""
    #: the query text (for ``query`` variables the PromQL helper call)
    query: str = ""
    regex: str = ""
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    #: the saved selection (``current.value``), a list even for single values
    current: tuple[str, ...] = ()
    #: the saved options (custom variables carry them)
    options: tuple[str, ...] = ()
    hide: int = 0
    sort: int = 0


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    panels: tuple[Panel, ...]
    variables: tuple[Variable, ...] = ()
    time_from: str = "now-6h"
    time_to: str = "now"
    tags: tuple[str, ...] = ()
    description: str = ""
    file: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def load_dashboard(path: str | Path) -> Dashboard:
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DashboardError(f"{p.name}: cannot read dashboard JSON: {exc}") from None
    return parse_dashboard(doc, file=p.name)


def parse_dashboard(doc: Any, *, file: str = "") -> Dashboard:
    where = file or "dashboard"
    if not isinstance(doc, dict):
        raise DashboardError(f"{where}: not a JSON object")
    if isinstance(doc.get("spec"), dict):  # a V1/V2 resource wraps the model in spec
        if "elements" in doc["spec"] or str(doc.get("apiVersion", "")).endswith("v2"):
            raise DashboardError(f"{where}: the V2 dashboard model is not supported")
        doc = doc["spec"]
    if not isinstance(doc.get("panels", []), list) or ("panels" not in doc and "rows" not in doc):
        raise DashboardError(f"{where}: no panels (is this a Grafana dashboard?)")
    time = _dict(doc.get("time"))
    templating = _dict(doc.get("templating"))
    return Dashboard(
        uid=str(doc.get("uid") or Path(file).stem or "dashboard"),
        title=str(doc.get("title") or file or "untitled"),
        panels=tuple(_panels(doc)),
        variables=tuple(_variable(v) for v in templating.get("list", []) if isinstance(v, dict)),
        time_from=str(time.get("from", "now-6h")),
        time_to=str(time.get("to", "now")),
        tags=tuple(str(t) for t in doc.get("tags", []) if isinstance(t, str)),
        description=str(doc.get("description") or ""),
        file=file,
        raw=doc,
    )


def _panels(doc: Mapping[str, Any]) -> Iterator[Panel]:
    if "rows" in doc and "panels" not in doc:  # legacy: rows[].panels[]
        y = 0
        for row in doc.get("rows", []):
            for raw in row.get("panels", []) if isinstance(row, dict) else []:
                if isinstance(raw, dict):
                    yield _panel(raw, str(row.get("title", "")), default_y=y)
            y += 8
        return
    row = ""
    for raw in doc.get("panels", []):
        if not isinstance(raw, dict):
            continue
        if raw.get("type") == "row":
            # The row itself is kept (the viewer draws its title); a collapsed
            # row's children follow it, as an expanded row's do.
            row = str(raw.get("title", ""))
            yield _panel(raw, row)
            for child in raw.get("panels", []) or []:  # collapsed: children inside
                if isinstance(child, dict):
                    yield _panel(child, row)
            continue
        yield _panel(raw, row)


def _panel(raw: Mapping[str, Any], row: str, default_y: int = 0) -> Panel:
    grid = _dict(raw.get("gridPos"))
    defaults = _dict(_dict(raw.get("fieldConfig")).get("defaults"))
    kind = str(raw.get("type", ""))
    return Panel(
        id=_int(raw.get("id"), 0),
        title=str(raw.get("title") or ""),
        type=_LEGACY_TYPES.get(kind, kind),
        grid=(
            _int(grid.get("x"), 0),
            _int(grid.get("y"), default_y),
            _int(grid.get("w"), 12),
            _int(grid.get("h"), 8),
        ),
        targets=tuple(_targets(raw.get("targets", []))),
        description=str(raw.get("description") or ""),
        unit=str(defaults.get("unit") or raw.get("format") or ""),
        min=_float(defaults.get("min")),
        max=_float(defaults.get("max")),
        decimals=_int(defaults.get("decimals"), None),
        interval=str(raw.get("interval") or ""),
        row=row,
    )


def _targets(raw: Any) -> Iterator[Target]:
    for i, t in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(t, dict) or t.get("hide") or not isinstance(t.get("expr"), str):
            continue
        if not t["expr"].strip():
            continue
        yield Target(
            ref_id=str(t.get("refId") or chr(ord("A") + i % 26)),
            expr=t["expr"],
            legend_format=str(t.get("legendFormat") or ""),
            instant=bool(t.get("instant")) and not t.get("range"),
            interval=str(t.get("interval") or ""),
        )


def _variable(raw: Mapping[str, Any]) -> Variable:
    query = raw.get("query", "")
    if isinstance(query, dict):  # newer Grafana: {"query": "...", "refId": ...}
        query = query.get("query", "")
    current = _dict(raw.get("current"))
    value = current.get("value", [])
    options = [str(o.get("value")) for o in raw.get("options", []) or [] if isinstance(o, dict)]
    return Variable(
        name=str(raw.get("name", "")),
        type=str(raw.get("type", "query")),
        label=str(raw.get("label") or ""),
        query=str(query or raw.get("definition") or ""),
        regex=str(raw.get("regex") or ""),
        multi=bool(raw.get("multi")),
        include_all=bool(raw.get("includeAll")),
        all_value=str(raw["allValue"]) if raw.get("allValue") else None,
        current=_strings(value),
        options=tuple(o for o in options if o != "$__all"),
        hide=_int(raw.get("hide"), 0),
        sort=_int(raw.get("sort"), 0),
    )


def list_dashboards(directory: str | Path) -> list[Dashboard | DashboardError]:
    """Every ``*.json`` in ``directory`` (sorted by file name); unreadable
    ones come back as their error, so a listing can show what is wrong."""
    out: list[Dashboard | DashboardError] = []
    d = Path(directory)
    if not d.is_dir():
        return out
    for p in sorted(d.glob("*.json")):
        try:
            out.append(load_dashboard(p))
        except DashboardError as exc:
            out.append(exc)
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if value is None or value == "":
        return ()
    return (str(value),)


def _int(value: Any, default: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def panel_types(panels: Sequence[Panel]) -> dict[str, int]:
    """How many panels of each type (for the listing)."""
    counts: dict[str, int] = {}
    for p in panels:
        counts[p.type] = counts.get(p.type, 0) + 1
    return counts
