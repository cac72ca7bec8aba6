"""Dashboards: committed JSON is up to date, lints clean, and every panel
returns data under the canonical incident; the checks bite on mistakes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lab.dashboards.check import Finding, check_data, lint, load_dir, substitute
from lab.dashboards.render import expected_files
from lab.dashboards.replay import scenario_source
from lab.scenarios import library

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS = ROOT / "dashboards"
Json = dict[str, Any]


def test_committed_dashboards_are_up_to_date() -> None:
    stale = [p.name for p, text in expected_files(DASHBOARDS).items()
             if not p.is_file() or p.read_text() != text]
    assert not stale, f"regenerate with `promlab dashboards generate`: {stale}"


def test_dashboards_lint_clean() -> None:
    boards = load_dir(DASHBOARDS)
    assert {"overview.json", "node-use.json", "kube-workloads.json", "service-red.json"} <= set(
        boards)
    assert lint(boards) == []


def test_every_panel_returns_data_under_the_canonical_incident() -> None:
    source = scenario_source(library.get("incident-timeline"), ROOT / "rulepacks")
    assert check_data(load_dir(DASHBOARDS), source) == []


def _first_panel(board: Json) -> Json:
    return next(p for p in board["panels"] if p["type"] != "row")


def _set_expr(expr: str) -> Callable[[Json], None]:
    def mutate(board: Json) -> None:
        _first_panel(board)["targets"][0]["expr"] = expr
    return mutate


MUTATIONS: list[tuple[str, Callable[[Json], None], str]] = [
    ("syntax", _set_expr("sum(rate(x[5m])"), "target-promql-rule"),
    ("fixed rate window", _set_expr("rate(http_requests_total[5m])"),
     "target-rate-interval-rule"),
    ("raw counter", _set_expr("sum(http_requests_total)"), "target-counter-agg-rule"),
    ("unknown variable", _set_expr('up{job=~"$nope"}'), "template-undeclared-variable"),
    ("no unit", lambda b: _first_panel(b)["fieldConfig"]["defaults"].pop("unit"),
     "panel-units-rule"),
    ("no description", lambda b: _first_panel(b).update(description=""),
     "panel-title-description-rule"),
    ("no targets", lambda b: _first_panel(b).update(targets=[]), "panel-no-targets-rule"),
    ("fixed datasource", lambda b: _first_panel(b).update(datasource={"uid": "prom"}),
     "panel-datasource-rule"),
    ("duplicate panel id", lambda b: b["panels"][1].update(id=b["panels"][0]["id"]),
     "unique-panel-id"),
    ("editable", lambda b: b.update(editable=True), "uneditable-dashboard"),
    ("refresh on load", lambda b: b["templating"]["list"][1].update(refresh=1),
     "template-on-time-change-reload-rule"),
    ("datasource variable name",
     lambda b: b["templating"]["list"][0].update(name="ds"), "template-datasource-rule"),
]


@pytest.mark.parametrize(("case", "mutate", "rule"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_lint_catches(case: str, mutate: Callable[[Json], None], rule: str) -> None:
    board = copy.deepcopy(load_dir(DASHBOARDS)["service-red.json"])
    mutate(board)
    rules = {f.rule for f in lint({"x.json": board})}
    assert rule in rules


def test_duplicate_uid_across_the_directory() -> None:
    board = load_dir(DASHBOARDS)["overview.json"]
    findings = lint({"a.json": board, "b.json": copy.deepcopy(board)})
    assert [f.rule for f in findings] == ["unique-uid"]


def test_panel_without_data_is_reported() -> None:
    board = copy.deepcopy(load_dir(DASHBOARDS)["overview.json"])
    _first_panel(board)["targets"][0]["expr"] = "sum(metric_that_no_exporter_emits)"
    source = scenario_source(library.get("cpu-spike"), None)
    findings = check_data({"overview.json": board}, source)
    assert Finding("panel-no-data", "overview.json", _first_panel(board)["title"],
                   "A returns no data") in findings


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ('rate(x{job=~"$job"}[$__rate_interval])', 'rate(x{job=~".+"}[2m])'),
        ('x{instance=~"${instance:regex}"}', 'x{instance=~".+"}'),
        ("x[[[job]]]", "x[.+]"),
    ],
)
def test_substitute(text: str, want: str) -> None:
    got, unknown = substitute(text, {"job": ".+", "instance": ".+", "__rate_interval": "2m"})
    assert got == want and unknown == []
