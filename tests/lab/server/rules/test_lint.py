"""Each lint check against its data-driven cases (data/lint_cases.yml), plus
the CLI's output formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from lab.cli_rules import rules
from lab.server.rules.lint import LintConfig, lint_text
from lab.server.rules.rulefile import duration_ms

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "lint_cases.yml").read_text()
)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check(case: dict[str, Any]) -> None:
    text = "groups:\n" + case["rules"]
    cfg = LintConfig(scrape_interval_ms=duration_ms(case.get("scrape_interval", "1m")))
    got = [
        [f.line, f.severity.label]
        for f in lint_text(text, "r.yml", cfg)
        if f.check == case["check"]
    ]
    assert got == case["expect"]


def test_cli_formats_and_fail_on(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text("groups:\n" + CASES[0]["rules"])
    runner = CliRunner()
    res = runner.invoke(rules, ["lint", str(path)])
    assert res.exit_code == 0  # warnings only; default --fail-on bug
    assert f"{path}:4:5: warning: alert has no severity label [alerts/severity]" in res.output
    res = runner.invoke(rules, ["lint", "--fail-on", "warning", "--format", "json", str(path)])
    assert res.exit_code == 1
    assert {f["check"] for f in json.loads(res.output)} >= {"alerts/severity"}
    res = runner.invoke(rules, ["lint", "--format", "sarif", str(path)])
    sarif = json.loads(res.output)
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
