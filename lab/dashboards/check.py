"""Check a directory of Grafana dashboards (``promlab dashboards check DIR``).

Static rules — dashboard-linter's (dashboards.md §3.1; its opinionated
``template-job/instance`` and ``target-job/instance`` rules are left out, as
kubernetes-mixin's own lint config does) plus what it cannot see:

* ``target-promql-rule``: every expression parses once template variables
  are replaced by sample values (``$__rate_interval`` by a magic duration, so
  the parsed tree tells whether a rate used it);
* ``target-rate-interval-rule``, ``target-counter-agg-rule``,
  ``template-datasource-rule``, ``template-on-time-change-reload-rule``,
  ``template-label-promql-rule``, ``panel-datasource-rule``,
  ``panel-title-description-rule``, ``panel-units-rule``,
  ``panel-no-targets-rule``, ``uneditable-dashboard``;
* ``template-undeclared-variable``, ``unique-uid`` (across the directory),
  ``unique-panel-id``.

With a scenario (``data=``), every target and query variable must also
return data when evaluated over the scenario's replay (``panel-no-data``,
``variable-no-data``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.server.promql.engine import Engine, MatrixResult
from lab.server.promql.errors import PromQLError
from lab.server.promql.parser import ast
from lab.server.promql.parser.parser import parse
from lab.server.storage.interface import Queryable

Json = dict[str, Any]
MAGIC_RATE_INTERVAL_S = 8869990.787  # dashboard-linter's trick: recognisable after parsing
GLOBALS = {
    "__rate_interval": "8869990787ms",
    "__interval": "1m",
    "__interval_ms": "60000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__from": "1700000000000",
    "__to": "1700003600000",
}
PANELS_WITH_QUERIES = {"timeseries", "stat", "gauge", "table", "bargauge", "heatmap", "graph",
                       "singlestat"}
#: functions over a range vector: a counter inside one of these is fine
RANGE_FUNCS = {"rate", "irate", "increase", "resets", "delta", "idelta", "deriv",
               "predict_linear"}
_VAR = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*(\w+)\s*\)\s*$", re.S)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    dashboard: str
    panel: str
    message: str

    def __str__(self) -> str:
        where = f"{self.dashboard}" + (f" / {self.panel}" if self.panel else "")
        return f"{where}: [{self.rule}] {self.message}"


@dataclass(frozen=True, slots=True)
class DataSource:
    """What to evaluate panels against (a replayed scenario)."""

    queryable: Queryable
    start_ms: int
    end_ms: int
    step_ms: int
    scrape_interval_s: float


def load_dir(directory: Path) -> dict[str, Json]:
    return {p.name: json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))}


def substitute(expr: str, variables: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace ``$var``, ``${var[:fmt]}`` and ``[[var]]``; return the text and
    the names that are not declared."""
    unknown: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name in variables:
            return variables[name]
        unknown.append(name)
        return m.group(0)

    return _VAR.sub(repl, expr), unknown


def _walk(node: object) -> Iterator[object]:
    yield node
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            children = value if isinstance(value, tuple) else (value,)
            for child in children:
                if isinstance(child, ast.Expr):
                    yield from _walk(child)


def _expr_findings(tree: ast.Expr) -> Iterator[tuple[str, str]]:
    in_range_fn: set[int] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Call) and (
            node.func in RANGE_FUNCS or node.func.endswith("_over_time")
        ):
            for arg in node.args:
                if isinstance(arg, ast.MatrixSelector):
                    in_range_fn.add(id(arg.vector))
                    rng = arg.range
                    if (node.func in ("rate", "irate")
                            and not (isinstance(rng, ast.NumberLiteral)
                                     and abs(rng.value - MAGIC_RATE_INTERVAL_S) < 1e-3)):
                        yield ("target-rate-interval-rule",
                               f"{node.func}() should use [$__rate_interval]")
    for node in _walk(tree):
        if (isinstance(node, ast.VectorSelector) and node.name and node.name.endswith("_total")
                and id(node) not in in_range_fn):
            yield ("target-counter-agg-rule",
                   f"counter {node.name} used without rate()/increase()")


def template_values(board: Json, data: bool) -> dict[str, str]:
    values = dict(GLOBALS)
    for var in board.get("templating", {}).get("list", []):
        multi = var.get("multi") or var.get("includeAll")
        values[var["name"]] = ".+" if multi or data else "value"
    return values


def _query_text(var: Json) -> str:
    q = var.get("query", "")
    return str(q.get("query", "")) if isinstance(q, dict) else str(q)


def lint_dashboard(name: str, board: Json) -> list[Finding]:
    out: list[Finding] = []

    def add(rule: str, panel: str, message: str) -> None:
        out.append(Finding(rule, name, panel, message))

    if board.get("editable", True):
        add("uneditable-dashboard", "", "dashboard should set editable: false")
    if not board.get("uid"):
        add("unique-uid", "", "dashboard has no uid")
    variables = board.get("templating", {}).get("list", [])
    ds = [v for v in variables if v.get("type") == "datasource"]
    if not ds or ds[0].get("name") != "datasource":
        add("template-datasource-rule", "", "need a datasource variable named 'datasource'")
    elif ds[0].get("label") not in ("Data source", "Prometheus data source"):
        add("template-datasource-rule", "", "datasource variable label should be 'Data source'")
    values = template_values(board, data=False)
    for var in variables:
        if var.get("type") != "query":
            continue
        if var.get("refresh") != 2:
            add("template-on-time-change-reload-rule", "",
                f"variable {var['name']} should refresh on time-range change (2)")
        m = _LABEL_VALUES.match(_query_text(var))
        if m:
            text, _ = substitute(m.group(1), values)
            try:
                parse(text)
            except PromQLError as exc:
                add("template-label-promql-rule", "", f"variable {var['name']}: {exc}")
    seen_ids: set[object] = set()
    for panel in iter_panels(board):
        title = str(panel.get("title", ""))
        pid = panel.get("id")
        if pid in seen_ids:
            add("unique-panel-id", title, f"panel id {pid} is used twice")
        seen_ids.add(pid)
        if panel.get("type") not in PANELS_WITH_QUERIES:
            continue
        if panel.get("datasource", {}).get("uid") not in ("$datasource", "${datasource}"):
            add("panel-datasource-rule", title, "panel should use the ${datasource} variable")
        if not title or not panel.get("description"):
            add("panel-title-description-rule", title, "panel needs a title and a description")
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            add("panel-units-rule", title, "panel has no unit")
        targets = panel.get("targets", [])
        if not targets:
            add("panel-no-targets-rule", title, "panel has no targets")
        for target in targets:
            text, unknown = substitute(str(target.get("expr", "")), values)
            for u in unknown:
                add("template-undeclared-variable", title, f"${u} is not a declared variable")
            try:
                tree = parse(text)
            except PromQLError as exc:
                add("target-promql-rule", title, f"{target.get('refId')}: {exc}")
                continue
            for rule, message in _expr_findings(tree):
                add(rule, title, f"{target.get('refId')}: {message}")
    return out


def iter_panels(board: Json) -> Iterator[Json]:
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def lint(boards: Mapping[str, Json]) -> list[Finding]:
    out: list[Finding] = []
    uids: dict[str, str] = {}
    for name, board in boards.items():
        out.extend(lint_dashboard(name, board))
        uid = str(board.get("uid", ""))
        if uid and uid in uids:
            out.append(Finding("unique-uid", name, "", f"uid {uid!r} is also used by "
                               f"{uids[uid]}"))
        uids.setdefault(uid, name)
    return out


def check_data(boards: Mapping[str, Json], source: DataSource,
               engine: Engine | None = None) -> list[Finding]:
    """Every target and query variable returns data over ``source``."""
    engine = engine or Engine()
    out: list[Finding] = []
    rate_interval = f"{round(4 * source.scrape_interval_s)}s"
    window = f"{max(1, (source.end_ms - source.start_ms) // 1000)}s"
    for name, board in boards.items():
        values = template_values(board, data=True)
        values.update(__rate_interval=rate_interval, __range=window,
                      __interval=f"{source.step_ms // 1000}s")
        for var in board.get("templating", {}).get("list", []):
            m = _LABEL_VALUES.match(_query_text(var)) if var.get("type") == "query" else None
            if m is None:
                continue
            text, _ = substitute(m.group(1), values)
            label = m.group(2)
            result = engine.range_query(source.queryable, text, source.start_ms, source.end_ms,
                                        source.step_ms)
            assert isinstance(result.value, MatrixResult)
            if not any(s.labels.get(label) for s in result.value.series):
                out.append(Finding("variable-no-data", name, "",
                                   f"variable {var['name']}: no {label} values"))
        for panel in iter_panels(board):
            if panel.get("type") not in PANELS_WITH_QUERIES:
                continue
            for target in panel.get("targets", []):
                text, _ = substitute(str(target.get("expr", "")), values)
                try:
                    result = engine.range_query(source.queryable, text, source.start_ms,
                                                source.end_ms, source.step_ms)
                except PromQLError as exc:
                    out.append(Finding("panel-no-data", name, str(panel.get("title")),
                                       f"{target.get('refId')}: {exc}"))
                    continue
                if not isinstance(result.value, MatrixResult) or not result.value.series:
                    out.append(Finding("panel-no-data", name, str(panel.get("title")),
                                       f"{target.get('refId')} returns no data"))
    return out
