"""``promlab scenario live``: listed next to ``list`` and ``run``; refuses
scenarios without a live equivalent before starting anything."""

from __future__ import annotations

from pathlib import Path

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


def test_run_hook_for_live() -> None:
    """What ``promlab scenario run --live`` gets from ``live_options`` / ``live_from_run``."""
    import click

    from lab.cli_live_scenario import live_from_run, live_options

    @click.command()
    @click.argument("names", nargs=-1)
    @live_options
    def run(names: tuple[str, ...], live: bool, time_scale: float) -> None:
        if live:
            return live_from_run(names, False, Path("rulepacks"), time_scale)
        click.echo("simulated")

    runner = CliRunner()
    assert runner.invoke(run, ["slow-checkout"]).output == "simulated\n"
    both = runner.invoke(run, ["a", "b", "--live"])
    assert both.exit_code == 2 and "name exactly one" in both.output
    refused = runner.invoke(run, ["crashloop", "--live", "--time-scale", "30"])
    assert refused.exit_code == 2 and "no live equivalent" in refused.output
