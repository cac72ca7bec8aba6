"""``promlab scenario live NAME [--time-scale F]``: a library scenario replayed
with real processes on loopback (the work is in ``lab.live.scenario_live``).

``scenario`` here is the ``lab.cli_scenario`` group with ``live`` added: a
group that looks the other commands up in that module on each use, so
``promlab scenario list|run`` stay exactly theirs. ``live_options`` and
``live_from_run`` are the hook for ``promlab scenario run NAME --live``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
DEFAULT_SCALE = 60.0


def run_live_command(name: str, time_scale: float = DEFAULT_SCALE,
                     rulepacks: Path = Path("rulepacks"), keep: Path | None = None) -> None:
    """Run ``name`` live, print progress and verdicts; exit 1 if an expectation
    failed, 2 if the scenario cannot run live, 130 on Ctrl-C / SIGTERM."""
    from lab.live.errors import LiveError
    from lab.live.live_plan import NotLiveCapable
    from lab.live.scenario_live import run_live
    from lab.live.stress import Terminated, sigterm_raises
    from lab.scenarios.library import discover

    library = discover()
    if name not in library:
        raise click.BadParameter(f"no scenario {name!r} (see `promlab scenario live --list`)",
                                 param_hint="NAME")
    try:
        with sigterm_raises():
            run = run_live(library[name], time_scale, rulepacks, echo=click.echo, workdir=keep)
    except NotLiveCapable as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except LiveError as exc:
        raise click.ClickException(str(exc)) from None
    except (KeyboardInterrupt, Terminated):
        click.echo("interrupted: every live process was stopped", err=True)
        raise SystemExit(130) from None
    click.echo(f"{name}: live at x{time_scale:g} in {run.wall_s:.0f}s, "
               f"{'ok' if run.ok else 'FAILED'}")
    for v in run.verdicts:
        click.echo(f"  {'ok  ' if v.ok else 'FAIL'} {v.what}: {v.detail}")
    if not run.ok:
        raise SystemExit(1)


F = TypeVar("F", bound=Callable[..., Any])


def live_options(f: F) -> F:
    """``--live`` and ``--time-scale`` for ``promlab scenario run`` (the hook:
    decorate ``run`` with it, and start its body with
    ``if live: return live_from_run(names, run_all, rules, time_scale)``)."""
    f = click.option("--time-scale", type=click.FloatRange(min=1.0), default=DEFAULT_SCALE,
                     show_default=True,
                     help="With --live: scenario seconds per real second.")(f)
    f = click.option("--live", is_flag=True, default=False,
                     help="Play the scenario live: real processes on 127.0.0.1 "
                          "(same as `promlab scenario live NAME`).")(f)
    return f


def live_from_run(names: tuple[str, ...], run_all: bool, rules: Path, time_scale: float) -> None:
    """``promlab scenario run NAME --live``: exactly one scenario, then as ``live``."""
    if run_all or len(names) != 1 or names[0] == "all":
        raise click.UsageError("--live plays one scenario at a time: name exactly one")
    run_live_command(names[0], time_scale, rules)


@click.command("live", context_settings=CONTEXT)
@click.argument("name", required=False)
@click.option("--time-scale", type=click.FloatRange(min=1.0), default=DEFAULT_SCALE,
              show_default=True,
              help="Scenario seconds per real second; rule windows are divided by it too.")
@click.option("--rulepacks", type=click.Path(file_okay=False, path_type=Path),
              default=Path("rulepacks"), show_default=True, help="Rule pack directory.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the generated prometheus.yml, scaled rules, TSDB and logs here.")
@click.option("--list", "list_", is_flag=True, help="List the live-capable scenarios.")
def live(name: str | None, time_scale: float, rulepacks: Path, keep: Path | None,
         list_: bool) -> None:
    """Run a scenario live: lab server, node exporter, pushgateway, demo app and
    load as local processes on 127.0.0.1, faults applied in (scaled) real time,
    the scenario's alert expectations checked, everything stopped at the end."""
    if list_:
        from lab.live.live_plan import live_capable
        from lab.scenarios.library import discover

        for n, cls in discover().items():
            if live_capable(cls):
                real = cls.duration_s() / time_scale
                click.echo(f"{n:24} {cls.duration:>6}  {real:5.0f}s at x{time_scale:g}")
        return
    if not name:
        raise click.UsageError("name a scenario (see `promlab scenario live --list`)")
    if not rulepacks.is_dir():
        raise click.BadParameter(f"directory {str(rulepacks)!r} does not exist",
                                 param_hint="--rulepacks")
    run_live_command(name, time_scale, rulepacks, keep)


class _ScenarioGroup(click.Group):
    """``lab.cli_scenario.scenario``'s commands, looked up at each use, plus ``live``."""

    def _base(self) -> click.Group:
        from lab.cli_scenario import scenario as base

        return base

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._base().list_commands(ctx), "live"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "live":
            return live
        return self._base().get_command(ctx, cmd_name)


scenario = _ScenarioGroup(
    "scenario", help="Incident scenarios (lab/scenarios/library), simulated or live.",
    context_settings=CONTEXT,
)
