"""Reading Grafana dashboard JSON: classic, V1-wrapped, legacy rows, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.server.ui.grafana import DashboardError, list_dashboards, load_dashboard, parse_dashboard
from tests.lab.server.ui.harness import DATA


def test_demo_dashboard_model() -> None:
    d = load_dashboard(DATA / "demo-service.json")
    assert (d.uid, d.title, d.time_from, d.file) == (
        "demo-service",
        "Demo service",
        "now-3h",
        "demo-service.json",
    )
    assert [p.type for p in d.panels] == [
        "row",
        "stat",
        "gauge",
        "table",
        "timeseries",
        "timeseries",
    ]
    assert all(p.row == "Overview" for p in d.panels)
    gauge = d.panels[2]
    assert (gauge.unit, gauge.min, gauge.max, gauge.grid) == ("percentunit", 0.0, 1.0, (6, 1, 6, 5))
    assert d.panels[3].targets[0].instant
    job, instance = d.variables[1], d.variables[2]
    assert job.query == "label_values(demo_memory_bytes, job)"  # object-form query
    assert job.current == ("api",)
    assert (instance.multi, instance.include_all, instance.all_value) == (True, True, ".+")


def test_collapsed_rows_legacy_types_and_hidden_targets() -> None:
    d = parse_dashboard(
        {
            "spec": {  # a V1 resource wraps the classic model
                "title": "t",
                "panels": [
                    {
                        "type": "row",
                        "title": "R",
                        "collapsed": True,
                        "panels": [
                            {
                                "id": 7,
                                "type": "graph",
                                "targets": [
                                    {"refId": "A", "expr": "up"},
                                    {"refId": "B", "expr": "down", "hide": True},
                                    {"refId": "C", "expr": "  "},
                                ],
                            },
                        ],
                    },
                    {"id": 8, "type": "singlestat", "targets": [{"expr": "1"}]},
                ],
            }
        }
    )
    assert [(p.type, p.row) for p in d.panels] == [("row", "R"), ("timeseries", "R"), ("stat", "R")]
    assert [t.ref_id for t in d.panels[1].targets] == ["A"]
    assert d.panels[2].targets[0].ref_id == "A"


def test_legacy_rows_model() -> None:
    d = parse_dashboard({"title": "old", "rows": [{"title": "r1", "panels": [{"type": "graph"}]}]})
    assert [(p.type, p.row) for p in d.panels] == [("timeseries", "r1")]


@pytest.mark.parametrize(
    "doc, message",
    [
        ([], "not a JSON object"),
        ({"title": "x"}, "no panels"),
        ({"apiVersion": "dashboard.grafana.app/v2", "spec": {"elements": {}}}, "V2"),
    ],
)
def test_not_dashboards(doc: object, message: str) -> None:
    with pytest.raises(DashboardError, match=message):
        parse_dashboard(doc)


def test_listing_reports_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"title": "A", "panels": []}))
    (tmp_path / "b.json").write_text("{not json")
    (tmp_path / "notes.txt").write_text("ignored")
    found = list_dashboards(tmp_path)
    assert [type(x).__name__ for x in found] == ["Dashboard", "DashboardError"]
    assert "b.json" in str(found[1])
    assert list_dashboards(tmp_path / "missing") == []
