"""A dashboard planned and evaluated in-process (what the report does)."""

from __future__ import annotations

from lab.server.ui.grafana import load_dashboard
from lab.server.ui.plan import evaluate_panel, plan_dashboard, plan_json
from tests.lab.server.ui.harness import DATA, NOW_MS, demo_storage


def test_plan_interpolates_and_every_panel_has_data() -> None:
    d = load_dashboard(DATA / "demo-service.json")
    plan = plan_dashboard(
        d,
        demo_storage(),
        from_ms=NOW_MS - 3 * 3_600_000,
        to_ms=NOW_MS,
        scrape_interval_ms=15_000,
        requested={"job": ["worker"]},
    )
    exprs = [q.expr for p in plan.panels for q in p.queries]
    assert 'sum(demo_memory_bytes{job=~"worker", instance=~".+"})' in exprs
    assert any("[1m]" in e for e in exprs)  # $__rate_interval
    assert not any("$" in e for e in exprs)
    for p in plan.panels:
        if p.panel.type == "row":
            continue
        data = evaluate_panel(p, demo_storage())
        assert data.errors == () and data.series, p.panel.title
    table = next(p for p in plan.panels if p.panel.type == "table")
    assert table.queries[0].instant
    doc = plan_json(plan)
    assert doc["query"][1] == ("var-job", "worker") or doc["query"][1] == ["var-job", "worker"]
    assert [v["selected"] for v in doc["variables"]] == [["prometheus"], ["worker"], ["$__all"]]


def test_panel_errors_are_reported_not_raised() -> None:
    d = load_dashboard(DATA / "demo-service.json")
    plan = plan_dashboard(
        d, demo_storage(), from_ms=NOW_MS - 3_600_000, to_ms=NOW_MS, scrape_interval_ms=15_000
    )
    panel = plan.panels[1]
    broken = type(panel)(
        panel.panel, (type(panel.queries[0])("A", "sum(", "", False),), panel.window
    )
    data = evaluate_panel(broken, demo_storage())
    assert data.series == () and data.errors[0].startswith("A: ")
