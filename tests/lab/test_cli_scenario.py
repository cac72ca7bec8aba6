"""``promlab scenario list|run`` and ``promlab dashboards check`` end to end."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from lab.cli import main
from lab.scenarios.library import discover

ROOT = Path(__file__).resolve().parents[2]
RULEPACKS = str(ROOT / "rulepacks")


def test_scenario_list() -> None:
    out = CliRunner().invoke(main, ["scenario", "list"])
    assert out.exit_code == 0, out.output
    assert "incident-timeline" in out.output and "cpu-spike" in out.output
    assert len(out.output.strip().splitlines()) >= 10


def test_scenario_run_passes_and_lists_alerts() -> None:
    out = CliRunner().invoke(
        main, ["scenario", "run", "node-down", "--rulepacks", str(ROOT / "rulepacks")]
    )
    assert out.exit_code == 0, out.output
    assert "node-down:" in out.output and "ok" in out.output
    assert "fired NodeExporterDown{severity=critical}" in out.output


def test_scenario_run_unknown() -> None:
    out = CliRunner().invoke(main, ["scenario", "run", "no-such-incident"])
    assert out.exit_code == 2
    assert "no scenario no-such-incident" in out.output


def test_scenario_run_fails_when_an_expectation_fails(tmp_path: Path) -> None:
    # Without the node pack, NodeExporterDown cannot fire.
    packs = tmp_path / "rulepacks"
    (packs / "targets").mkdir(parents=True)
    (packs / "targets" / "targets.rules.yml").write_text(
        (ROOT / "rulepacks" / "targets" / "targets.rules.yml").read_text())
    junit = tmp_path / "junit.xml"
    out = CliRunner().invoke(main, ["scenario", "run", "node-down", "--rulepacks", str(packs),
                                    "--junit", str(junit)])
    assert out.exit_code == 1
    assert "FAIL NodeExporterDown" in out.output
    assert "FAILED: 2 expectation(s) missed in node-down:" in out.output
    assert ("node-down: NodeExporterDown{instance=node-2:9100} after 'power loss': "
            "did not fire within 10m") in out.output
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    failures = {c.get("name"): c.find("failure") for c in suite.iter("testcase")}
    failure = failures["NodeExporterDown{instance=node-2:9100} after 'power loss'"]
    assert failure is not None and "did not fire" in (failure.get("message") or "")
    assert failures["TargetDown{instance=node-2:9100} after 'power loss'"] is None


def test_scenario_run_with_report_and_junit(tmp_path: Path) -> None:
    boards = tmp_path / "boards"
    boards.mkdir()
    shutil.copy(ROOT / "dashboards" / "node-use.json", boards)
    report, junit = tmp_path / "node-down.html", tmp_path / "junit.xml"
    out = CliRunner().invoke(main, ["scenario", "run", "node-down", "--rules", RULEPACKS,
                                    "--dashboards", str(boards), "--report", str(report),
                                    "--junit", str(junit)])
    assert out.exit_code == 0, out.output
    assert f"report: {report}" in out.output and f"junit: {junit}" in out.output
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
    (suite,) = root.findall("testsuite")
    cases = [c.get("name") for c in suite.iter("testcase")]
    expected = discover()["node-down"].expect
    assert len(cases) == 1 + len(expected) and cases[0] == "quiet baseline"
    assert all(c.find("failure") is None for c in suite.iter("testcase"))
    html = report.read_text()
    assert "node-down" in html and "Node / USE method" in html
    assert html.count("data:image/png;base64,") >= 10


def test_scenario_run_all_passes_with_the_rule_packs(tmp_path: Path) -> None:
    """The issue's "done when": every scenario against the packs, plus coverage."""
    junit = tmp_path / "junit.xml"
    out = CliRunner().invoke(main, ["scenario", "run", "all", "--rules", RULEPACKS,
                                    "--junit", str(junit)])
    assert out.exit_code == 0, out.output
    root = ET.parse(junit).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {*discover(), "coverage"}
    assert root.get("failures") == "0"
    assert "coverage:" in out.output and "never fired" not in out.output


def test_dashboards_check(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["dashboards", "check", str(ROOT / "dashboards"), "--scenario",
                               "incident-timeline", "--rulepacks", str(ROOT / "rulepacks")])
    assert out.exit_code == 0, out.output
    assert "0 findings" in out.output
    board = json.loads((ROOT / "dashboards" / "overview.json").read_text())
    board["editable"] = True
    (tmp_path / "overview.json").write_text(json.dumps(board))
    out = runner.invoke(main, ["dashboards", "check", str(tmp_path)])
    assert out.exit_code == 1
    assert "[uneditable-dashboard]" in out.output
