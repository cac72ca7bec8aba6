"""The JSON the HTTP API serves for rules, alerts and Alertmanagers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.clock import VirtualClock
from lab.model.labels import Labels
from lab.server.promql.engine import Engine
from lab.server.rules.api import alertmanagers_data, alerts_data, rules_data
from lab.server.rules.errors import RulesError
from lab.server.rules.manager import RuleManager
from lab.server.rules.notifier import Notifier
from lab.server.rules.rule import engine_query_func
from lab.server.storage.memory import MemoryStorage


@pytest.fixture
def manager(tmp_path: Path) -> RuleManager:
    (tmp_path / "r.yml").write_text(
        "groups:\n- name: g\n  interval: 30s\n  rules:\n"
        "  - alert: Down\n    expr: up == 0\n    for: 1m\n    annotations: {s: '{{ $value }}'}\n"
        "  - record: job:up:sum\n    expr: sum by (job) (up)\n"
    )
    storage = MemoryStorage()
    storage.add_series(Labels.of(__name__="up", job="a"), range(0, 600_000, 15_000), [0.0] * 40)
    mgr = RuleManager(
        query=engine_query_func(Engine(), storage), appendable=storage, clock=VirtualClock(0)
    )
    mgr.load([str(tmp_path / "r.yml")])
    for t in (60_000, 90_000, 120_000):
        mgr.evaluate(mgr.groups[0], t)
    return mgr


def test_rules(manager: RuleManager) -> None:
    data = rules_data(manager)
    g = data["groups"][0]
    assert (g["name"], g["interval"], g["limit"]) == ("g", 30.0, 0)
    alert, record = g["rules"]
    assert alert["type"] == "alerting" and alert["state"] == "firing"
    assert alert["duration"] == 60.0 and alert["health"] == "ok"
    assert alert["alerts"] == [
        {
            "labels": {"alertname": "Down", "job": "a"},
            "annotations": {"s": "0"},
            "state": "firing",
            "activeAt": "1970-01-01T00:01:00Z",
            "value": "0e+00",
        }
    ]
    assert record == {
        "name": "job:up:sum",
        "query": "sum by (job) (up)",
        "labels": {},
        "health": "ok",
        "evaluationTime": record["evaluationTime"],
        "lastEvaluation": "1970-01-01T00:02:00Z",
        "type": "recording",
    }
    assert [r["name"] for r in rules_data(manager, rule_type="record")["groups"][0]["rules"]] == [
        "job:up:sum"
    ]
    assert "alerts" not in rules_data(manager, exclude_alerts=True)["groups"][0]["rules"][0]
    assert rules_data(manager, group_names=["nope"]) == {"groups": []}
    with pytest.raises(RulesError):
        rules_data(manager, rule_type="bogus")


def test_alerts_and_alertmanagers(manager: RuleManager) -> None:
    assert [a["state"] for a in alerts_data(manager)["alerts"]] == ["firing"]
    n = Notifier.from_config({"alertmanagers": [{"static_configs": [{"targets": ["am:9093"]}]}]})
    assert alertmanagers_data(n)["activeAlertmanagers"] == [{"url": "http://am:9093/api/v2/alerts"}]
