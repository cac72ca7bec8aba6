"""``promlab check``: the repository's rules and dashboards pass; unproduced
metrics in a rule or a dashboard and unused recording rules are caught."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from lab.check.check import check
from lab.check.produced import Inventory, inventory
from lab.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _inventory() -> Inventory:
    return inventory(ROOT)  # cached: the exporters run once per test session


def _rules(tmp_path: Path, text: str) -> Path:
    pack = tmp_path / "rules" / "mine"
    pack.mkdir(parents=True)
    (pack / "mine.rules.yml").write_text(textwrap.dedent(text))
    return tmp_path / "rules"


def _board(tmp_path: Path, exprs: dict[str, str], variable: str = "label_values(up, job)"
           ) -> Path:
    directory = tmp_path / "boards"
    directory.mkdir()
    board = {
        "title": "My board",
        "templating": {"list": [{"name": "job", "type": "query", "query": {"query": variable}}]},
        "panels": [{"id": i, "title": title, "type": "timeseries", "targets": [{"expr": e}]}
                   for i, (title, e) in enumerate(exprs.items())],
    }
    (directory / "mine.json").write_text(json.dumps(board))
    return directory


GOOD_RULES = """\
    groups:
      - name: g
        rules:
          - record: instance:node_cpu:rate5m
            expr: rate(node_cpu_seconds_total{job="node"}[5m])
          - alert: Busy
            expr: instance:node_cpu:rate5m > 0.9
"""


def test_the_repository_content_passes() -> None:
    report = check(ROOT / "rulepacks", ROOT / "dashboards", _inventory())
    assert report.ok, report.text()
    assert report.rules > 0 and len(report.dashboard_files) >= 4
    sources = report.used_by_source()
    # every kind of producer is actually exercised by the content
    for src in ("node-exporter", "kube-state-metrics", "pushgateway", "recording rules",
                "scenarios"):
        assert sources[src] > 0, src


def test_the_inventory_comes_from_running_the_code() -> None:
    inv = _inventory().sources
    assert {"node_cpu_seconds_total", "node_filesystem_avail_bytes",
            "node_vmstat_pgmajfault"} <= inv["node-exporter"]
    assert {"kube_pod_container_status_last_terminated_reason",
            "kube_pod_container_status_waiting_reason"} <= inv["kube-state-metrics"]
    assert {"push_time_seconds", "push_failure_time_seconds",
            "pushgateway_http_push_duration_seconds_count"} <= inv["pushgateway"]
    assert {"container_cpu_usage_seconds_total", "http_request_duration_seconds_bucket",
            "kubelet_volume_stats_available_bytes"} <= inv["scenarios"]
    assert not any(n.startswith("node_textfile_") and n not in (
        "node_textfile_scrape_error", "node_textfile_mtime_seconds")
        for n in inv["node-exporter"])


def test_an_unproduced_metric_in_a_rule_is_reported_at_its_line(tmp_path: Path) -> None:
    rules = _rules(tmp_path, GOOD_RULES + """\
          - alert: Typo
            expr: |
              instance:node_cpu:rate5m > 0.9
              and on (instance)
              node_lod1{job="node"} > 4
    """)
    report = check(rules, None, _inventory())
    assert [(p.kind, p.metric) for p in report.problems] == [("unproduced", "node_lod1")]
    assert str(report.problems[0]).startswith(f"{rules}/mine/mine.rules.yml:12: rule Typo: ")
    assert "node_lod1" in str(report.problems[0])


def test_an_unproduced_metric_in_a_dashboard_names_the_panel(tmp_path: Path) -> None:
    boards = _board(tmp_path, {
        "Fine": 'sum(rate(node_cpu_seconds_total{job=~"$job"}[$__rate_interval]))',
        "Broken": 'rate(made_up_requests_total{job=~"$job"}[$__rate_interval])',
    }, variable='label_values(made_up_info{job="x"}, job)')
    report = check(None, boards, _inventory())
    got = sorted(str(p) for p in report.problems)
    assert len(got) == 2
    assert 'dashboard "My board" / panel "Broken": metric made_up_requests_total' in got[0]
    assert 'dashboard "My board" / variable job: metric made_up_info' in got[1]


def test_an_unused_recording_rule_is_reported(tmp_path: Path) -> None:
    rules = _rules(tmp_path, GOOD_RULES + """\
          - record: instance:node_load1:nobody
            expr: node_load1
    """)
    report = check(rules, None, _inventory())
    assert [(p.kind, p.where.line) for p in report.problems] == [("unused-recording-rule", 8)]
    assert report.recording_users["instance:node_cpu:rate5m"]
    # a dashboard reading it is a use
    boards = _board(tmp_path, {"Load": "instance:node_load1:nobody"})
    assert check(rules, boards, _inventory()).ok


def test_name_regexes_expand_against_the_produced_names(tmp_path: Path) -> None:
    boards = _board(tmp_path, {
        "Load": '{__name__=~"node_load(1|5)"}',
        "Anything but up": '{__name__!="up", job="node"}',  # names nothing: not checked
        "Nothing": '{__name__=~"nothing_like_this_.*"}',
    })
    report = check(None, boards, _inventory())
    assert [p.where.panel for p in report.problems] == ['panel "Nothing"']
    assert {"node_load1", "node_load5"} <= set(report.used)


def test_cli_text_json_and_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["check", "--rules", str(ROOT / "rulepacks"),
                              "--dashboards", str(ROOT / "dashboards")])
    assert ok.exit_code == 0, ok.output
    assert ok.output.rstrip().endswith("ok")
    rules = _rules(tmp_path, GOOD_RULES.replace("node_cpu_seconds_total", "node_cpu_total"))
    (tmp_path / "no-boards").mkdir()
    bad = runner.invoke(main, ["check", "--rules", str(rules), "--dashboards",
                               str(tmp_path / "no-boards"), "--format", "json"])
    assert bad.exit_code == 1
    data = json.loads(bad.output)
    assert not data["ok"]
    assert data["problems"] == [{
        "kind": "unproduced", "file": f"{rules}/mine/mine.rules.yml", "line": 5,
        "rule": "instance:node_cpu:rate5m", "metric": "node_cpu_total",
        "message": "metric node_cpu_total: produced by no exporter, recording rule or scenario",
    }]


def test_unreadable_files_are_problems_too(tmp_path: Path) -> None:
    rules = _rules(tmp_path, GOOD_RULES + """\
          - alert: Broken
            expr: rate(node_load1[5m]
    """)
    boards = _board(tmp_path, {"Broken": "sum(node_load1"})
    report = check(rules, boards, _inventory())
    assert [p.kind for p in report.problems] == ["unreadable", "unreadable"]
    assert str(report.problems[0]).startswith(f"{rules}/mine/mine.rules.yml: ")
    assert str(report.problems[1]).startswith(f"{boards}/mine.json: ")
