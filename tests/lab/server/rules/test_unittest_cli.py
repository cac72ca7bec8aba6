"""``promlab rules test``: console output, JUnit XML, coverage, and the
file-level errors promtool reports before any group runs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.cli_rules import rules
from lab.server.rules.unittest_run import Options, run_test_file

RULES = """groups:
- name: g
  rules:
  - alert: Down
    expr: up == 0
    for: 1m
  - alert: Untested
    expr: up > 1
  - record: job:up:sum
    expr: sum by (job) (up)
  - record: unused:metric:sum
    expr: sum(up)
"""

TEST = """rule_files: [rules.yml]
tests:
- name: down
  input_series:
  - {series: 'up{job="a"}', values: '0x5'}
  alert_rule_test:
  - eval_time: 2m
    alertname: Down
    exp_alerts: [{exp_labels: {job: a}}]
  promql_expr_test:
  - expr: job:up:sum
    eval_time: 2m
    exp_samples: [{labels: 'job:up:sum{job="a"}', value: 0}]
- name: wrong
  input_series:
  - {series: 'up{job="a"}', values: '1'}
  promql_expr_test:
  - {expr: up, eval_time: 0, exp_samples: [{labels: 'up{job="a"}', value: 2}]}
"""


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "t.yml").write_text(TEST)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_output_junit_and_coverage(files: Path) -> None:
    res = CliRunner().invoke(rules, ["test", "--junit", "out.xml", "t.yml"])
    assert res.exit_code == 1
    assert "  FAILED:\n" in res.stderr
    assert (
        '    expr: "up", time: 0s,\n        exp: {__name__="up", job="a"} 2E+00\n'
        '        got: {__name__="up", job="a"} 1E+00\n        at t.yml:18\n'
    ) in res.stderr
    assert "Coverage: 2 rule(s) not exercised by any test:" in res.stdout
    assert "alert Untested (rules.yml:7)" in res.stdout
    assert "record unused:metric:sum (rules.yml:11)" in res.stdout
    suite = ET.parse(files / "out.xml").getroot()[0]
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("t.yml", "2", "1")
    assert [c.get("name") for c in suite] == ["down", "wrong"]
    assert suite[1][0].tag == "failure"

    res = CliRunner().invoke(rules, ["test", "--run", "^down$", "--no-coverage", "t.yml"])
    assert res.exit_code == 0
    assert res.stdout == "Unit Testing:  t.yml\n  SUCCESS\n\n"


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        (
            "tests: []\nfuzzy: true\n",
            "yaml: unmarshal errors:\n  line 2: field fuzzy not found in type main.unitTestFile",
        ),
        (
            "tests:\n- input_series: []\n  alert_rule_tests: []\n",
            "yaml: unmarshal errors:\n"
            "  line 3: field alert_rule_tests not found in type main.testGroup",
        ),
        (
            "group_eval_order: [a, b, a]\ntests: [{}]\n",
            "group name repeated in evaluation order: a",
        ),
        ("evaluation_interval: 1x\n", 'not a valid duration string: "1x"'),
    ],
)
def test_file_errors(doc: str, error: str, tmp_path: Path) -> None:
    (tmp_path / "t.yml").write_text(doc)
    assert run_test_file(str(tmp_path / "t.yml"), Options()).abort == error


def test_group_errors(tmp_path: Path) -> None:
    (tmp_path / "t.yml").write_text(
        "rule_files: [missing-*.yml]\ntests:\n- name: n\n  alert_rule_test:\n  - eval_time: 1m\n"
    )
    res = run_test_file(str(tmp_path / "t.yml"), Options())
    assert [f.text for f in res.groups[0].failures] == [
        "an item under alert_rule_test misses required attribute alertname at eval_time 1m "
        "(in TestGroup n)"
    ]
