"""``promlab scenario list|run``: the incident library, replayed in simulated
time and judged against the rule packs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lab.cli_scenario_remote import remote_from_run, remote_options, wants_remote

if TYPE_CHECKING:
    from lab.scenarios.suite import TimedRun
    from lab.scenarios.validate import ScenarioRun


@click.group()
def scenario() -> None:
    """Incident scenarios (lab/scenarios/library)."""


@scenario.command("list")
def list_() -> None:
    """Name, duration and description of every scenario."""
    from lab.scenarios.library import discover

    for name, cls in discover().items():
        click.echo(f"{name:24} {cls.duration:>6}  {cls.description}")


DirPath = click.Path(exists=True, file_okay=False, path_type=Path)
FilePath = click.Path(dir_okay=False, path_type=Path)


@scenario.command("run")
@click.argument("names", nargs=-1, metavar="NAME...|all")
@click.option("--all", "run_all", is_flag=True, help="Run every scenario (same as NAME 'all').")
@click.option("--rules", "--rulepacks", "rules", type=DirPath, default=Path("rulepacks"),
              show_default=True, help="Rule pack directory (<pack>/<pack>.rules.yml).")
@click.option("--dashboards", type=DirPath, default=None,
              help="Dashboards to plot in --report (default: ./dashboards if it exists).")
@click.option("--report", type=FilePath, default=None,
              help="Write the self-contained HTML replay report here (with several "
                   "scenarios: FILE-<scenario>.html each).")
@click.option("--junit", type=FilePath, default=None,
              help="Write a JUnit XML file: one testcase per expectation.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@remote_options
def run(names: tuple[str, ...], run_all: bool, rules: Path, dashboards: Path | None,
        report: Path | None, junit: Path | None, progress: bool | None,
        remote_write: str | None, target_server: str | None, speed: float | None) -> None:
    """Replay scenarios into an in-memory store in simulated time, evaluate
    the rule packs over each and check its expectations (its alerts fire in
    time and resolve after recovery; nothing fires in the quiet baseline).

    Exits 1 if an expectation fails or, when running all, if an alert rule is
    fired by no scenario.

    With --remote-write URL (or --target-server URL), one scenario is instead
    streamed in real time (x --speed) into a running server, starting now."""
    if wants_remote(remote_write, target_server, speed):
        return remote_from_run(names, run_all, remote_write, target_server, speed)
    from lab.scenarios.evaluate import PackEvaluationError, alert_rules, load_groups, rule_files
    from lab.scenarios.library import discover
    from lab.scenarios.suite import run_suite
    from lab.scenarios.validate import coverage
    from lab.server.rules.errors import RulesError

    library = discover()
    if "all" in names:
        run_all, names = True, tuple(n for n in names if n != "all")
    if run_all:
        names = tuple(library)
    if not names:
        raise click.UsageError("name a scenario (see `promlab scenario list`) or 'all'")
    unknown = [n for n in names if n not in library]
    if unknown:
        raise click.BadParameter(f"no scenario {', '.join(unknown)}", param_hint="NAME")
    files = rule_files(rules)
    if not files:
        raise click.BadParameter(f"no <pack>/<pack>.rules.yml under {rules}", param_hint="--rules")
    try:
        groups = load_groups(files)
        runs = run_suite([library[n] for n in names], groups, on_run=_print_run,
                         progress=progress)
    except (RulesError, PackEvaluationError) as exc:
        raise click.ClickException(str(exc)) from None
    failed = [t.run for t in runs if not t.run.ok]
    never: list[str] = []
    rule_names: list[str] = []
    if run_all:
        never = coverage(groups, [t.run for t in runs])
        rule_names = sorted({f"{r.name}{{severity={r.labels.get('severity', '')}}}"
                             for r in alert_rules(groups)})
        click.echo(f"coverage: {len(rule_names) - len(never)}/{len(rule_names)} alert rules "
                   "fired by a scenario")
        for m in never:
            click.echo(f"  never fired: {m}")
    if junit is not None:
        from lab.scenarios.junit import write_junit

        write_junit(junit, runs, alert_rules=rule_names, never_fired=never)
        click.echo(f"junit: {junit}")
    if report is not None:
        _write_reports(report, runs, dashboards, click.echo)
    if failed or never:
        click.echo(_failure_message(failed, never), err=True)
        raise SystemExit(1)


def _print_run(timed: TimedRun, write: Callable[[str], None]) -> None:
    result = timed.run
    start = result.scenario.start_ms()
    write(f"{result.scenario.name}: {len(result.replay.series)} series, "
          f"{result.replay.samples} samples, {result.scenario.duration} replayed in "
          f"{timed.seconds:.2f}s, {'ok' if result.ok else 'FAILED'}")
    for v in result.verdicts:
        write(f"  {'ok  ' if v.ok else 'FAIL'} {v.what}: {v.detail}")
    fired: dict[str, int] = {}
    for ep in result.episodes:
        fired.setdefault(f"{ep.alert}{{severity={ep.labels.get('severity')}}}", ep.fired_ms)
    for key, t in sorted(fired.items(), key=lambda kv: kv[1]):
        write(f"  fired {key} at +{(t - start) // 60000}m")


def _failure_message(failed: list[ScenarioRun], never: list[str]) -> str:
    lines = []
    if failed:
        misses = sum(not v.ok for r in failed for v in r.verdicts)
        lines.append(f"FAILED: {misses} expectation(s) missed in "
                     f"{', '.join(r.scenario.name for r in failed)}:")
        lines += [f"  {r.scenario.name}: {v.what}: {v.detail}"
                  for r in failed for v in r.verdicts if not v.ok]
    if never:
        lines.append(f"FAILED: {len(never)} alert rule(s) fired by no scenario: {', '.join(never)}")
    return "\n".join(lines)


def _write_reports(path: Path, runs: list[TimedRun], dashboards: Path | None,
                   echo: Callable[[str], None]) -> None:
    from lab.report import write_report

    if dashboards is None and Path("dashboards").is_dir():
        dashboards = Path("dashboards")
    boards = sorted(dashboards.glob("*.json")) if dashboards is not None else []
    for timed in runs:
        name = timed.run.scenario.name
        target = path if len(runs) == 1 else path.with_name(f"{path.stem}-{name}{path.suffix}")
        write_report(target, timed.run, boards)
        echo(f"report: {target}")
