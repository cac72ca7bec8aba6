"""``promlab scenario list|run`` and ``promlab dashboards check`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lab.cli import main

ROOT = Path(__file__).resolve().parents[2]


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
    out = CliRunner().invoke(main, ["scenario", "run", "node-down", "--rulepacks", str(packs)])
    assert out.exit_code == 1
    assert "FAIL NodeExporterDown" in out.output


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
