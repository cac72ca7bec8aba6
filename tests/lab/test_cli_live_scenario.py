"""``promlab scenario live``: listed next to ``list`` and ``run``; refuses
scenarios without a live equivalent before starting anything."""

from __future__ import annotations

from click.testing import CliRunner

from lab.cli import main


def test_scenario_group_keeps_its_commands_and_adds_live() -> None:
    result = CliRunner().invoke(main, ["scenario", "--help"])
    assert result.exit_code == 0
    for command in ("list", "run", "live"):
        assert f"  {command} " in result.output


def test_live_list_and_refusals() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["scenario", "live", "--list", "--time-scale", "30"])
    assert listed.exit_code == 0, listed.output
    names = [line.split()[0] for line in listed.output.splitlines()]
    assert {"slow-checkout", "latency-degradation", "error-burst", "cpu-spike"} <= set(names)
    assert "slow-checkout               50m    100s at x30" in listed.output
    refused = runner.invoke(main, ["scenario", "live", "crashloop"])
    assert refused.exit_code == 2 and "no live equivalent" in refused.output
    unknown = runner.invoke(main, ["scenario", "live", "nope"])
    assert unknown.exit_code == 2 and "no scenario 'nope'" in unknown.output
    bad_scale = runner.invoke(main, ["scenario", "live", "slow-checkout", "--time-scale", "0"])
    assert bad_scale.exit_code == 2
