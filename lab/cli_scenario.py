"""``promlab scenario list|run``: the incident library, replayed in simulated
time and judged against the rule packs."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def scenario() -> None:
    """Incident scenarios (lab/scenarios/library)."""


@scenario.command("list")
def list_() -> None:
    """Name, duration and description of every scenario."""
    from lab.scenarios.library import discover

    for name, cls in discover().items():
        click.echo(f"{name:24} {cls.duration:>6}  {cls.description}")


@scenario.command("run")
@click.argument("names", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every scenario and report coverage.")
@click.option("--rulepacks", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("rulepacks"), show_default=True, help="Rule pack directory.")
def run(names: tuple[str, ...], run_all: bool, rulepacks: Path) -> None:
    """Replay scenarios, evaluate the rule packs over them and check each
    scenario's expectations; exit 1 if one fails (or, with --all, if an alert
    is fired by no scenario)."""
    from lab.scenarios.evaluate import alert_rules, load_groups, rule_files
    from lab.scenarios.library import discover
    from lab.scenarios.validate import coverage, run_scenario

    library = discover()
    if run_all:
        names = tuple(library)
    if not names:
        raise click.UsageError("name a scenario (see `promlab scenario list`) or use --all")
    unknown = [n for n in names if n not in library]
    if unknown:
        raise click.BadParameter(f"no scenario {', '.join(unknown)}", param_hint="NAMES")
    groups = load_groups(rule_files(rulepacks))
    runs, failed = [], False
    for name in names:
        result = run_scenario(library[name], groups)
        runs.append(result)
        start = library[name].start_ms()
        click.echo(f"{name}: {len(result.replay.series)} series, "
                   f"{result.replay.samples} samples, {'ok' if result.ok else 'FAILED'}")
        for v in result.verdicts:
            click.echo(f"  {'ok  ' if v.ok else 'FAIL'} {v.what}: {v.detail}")
        fired: dict[str, int] = {}
        for ep in result.episodes:
            key = f"{ep.alert}{{severity={ep.labels.get('severity')}}}"
            fired.setdefault(key, ep.fired_ms)
        for key, t in sorted(fired.items(), key=lambda kv: kv[1]):
            click.echo(f"  fired {key} at +{(t - start) // 60000}m")
        failed |= not result.ok
    if run_all:
        missing = coverage(groups, runs)
        total = len(alert_rules(groups))
        click.echo(f"coverage: {total - len(missing)}/{total} alert rules fired by a scenario")
        for m in missing:
            click.echo(f"  never fired: {m}")
        failed |= bool(missing)
    if failed:
        raise SystemExit(1)
