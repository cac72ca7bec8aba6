"""``promlab demo``: see lab/demo.py for what it does."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from lab.demo import DemoReplay
    from lab.scenarios.validate import ScenarioRun

#: lab.demo's defaults, repeated so that `promlab --help` imports nothing heavy
CANONICAL = "incident-timeline"
DEFAULT_LISTEN = "127.0.0.1:9090"


@click.command("demo")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True,
              help="Where to write the replay's HTML report.")
@click.option("--web.listen-address", "listen", default=DEFAULT_LISTEN, show_default=True,
              help="Where the lab UI listens (port 0: any free port).")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the lab UI after the replay (--no-serve: print, write, exit).")
@click.option("--rules", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Rule pack directory (default: rulepacks/).")
@click.option("--dashboards", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Dashboards for the UI and the report (default: dashboards/).")
def demo(report: Path, listen: str, serve: bool, rules: Path | None,
         dashboards: Path | None) -> None:
    """Replay the canonical incident into a local lab: print which alerts fired
    when, write report.html and serve the lab UI (dashboards, alerts, PromQL)
    on 127.0.0.1:9090. No cluster, no network, no configuration."""
    from lab.demo import content_dir, replay
    from lab.demo_summary import summary_lines

    rules = rules or content_dir("rulepacks")
    if rules is None:
        raise click.UsageError("no rulepacks/ here or in the checkout; pass --rules DIR")
    dashboards = dashboards or content_dir("dashboards")
    demo_replay = replay(rules, end_ms=int(time.time() * 1000), scenario=CANONICAL)
    for line in summary_lines(demo_replay.run, seconds=demo_replay.seconds,
                              rule_count=demo_replay.alert_rules,
                              story_start_ms=demo_replay.story_start_ms):
        click.echo(line)
    _write_report(report, demo_replay.run, dashboards)
    if serve:
        _serve(demo_replay, listen, rules, dashboards)


def _write_report(path: Path, run: ScenarioRun, dashboards: Path | None) -> None:
    from lab.report import write_report

    t0 = time.perf_counter()
    boards = sorted(dashboards.glob("*.json")) if dashboards is not None else []
    write_report(path, run, boards)
    click.echo(f"\nReport: {path.resolve()}  ({len(boards)} dashboards plotted "
               f"in {time.perf_counter() - t0:.1f}s)")


def _serve(demo_replay: DemoReplay, listen: str, rules: Path, dashboards: Path | None) -> None:
    from lab.demo import serve
    from lab.server.app import ServerError

    def ready(urls: list[str]) -> None:
        base = urls[0]
        click.echo(f"\nThe lab UI: {base}  (Ctrl-C to stop)")
        click.echo(f"  dashboards  {base}/dashboards")
        click.echo(f"  alerts      {base}/graph?g0.expr=ALERTS&g0.tab=graph&g0.range_input=6h")
        click.echo(f"  PromQL      {base}/query")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        with tempfile.TemporaryDirectory(prefix="promlab-demo-") as workdir:
            await serve(demo_replay, listen=listen, rules_dir=rules, dashboards_dir=dashboards,
                        workdir=Path(workdir), stop=stop, on_ready=ready)

    try:
        asyncio.run(main())
    except ServerError as exc:
        raise click.ClickException(f"{exc} (try --web.listen-address 127.0.0.1:0)") from None
