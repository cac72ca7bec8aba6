"""The live-lab commands (thin): ``promlab demo-app`` and
``promlab stress cpu|memory`` (``promlab load`` is ``lab.cli_load``). The work
is in ``lab.live``."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from exporters.common.web import (
    DURATION,
    Server,
    WebError,
    WebFlags,
    load_web_config,
    serve_until_stopped,
    web_flags,
)
from lab.clock import RealClock
from lab.live.errors import LiveError

if TYPE_CHECKING:
    from lab.live.stress import Stressor

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


@click.command("demo-app", context_settings=CONTEXT)
@web_flags(default_listen=":8080", max_requests=None)
@click.option("--seed", type=int, default=None, help="Seed latency jitter and injected errors.")
def demo_app(web: WebFlags, seed: int | None) -> None:
    """An instrumented demo web shop whose latency and errors degrade on command.

    Routes: GET /, GET /api/items, POST /api/checkout; POST /admin/degrade
    {"latency_ms": 300, "error_rate": 0.2, "duration_s": 60}, POST /admin/reset,
    GET /admin/state; metrics at --web.telemetry-path.
    """
    from prometheus_client import CollectorRegistry

    from lab.live.demo_app import DemoApp

    logging.basicConfig(
        level=logging.INFO, format="ts=%(asctime)s level=%(levelname)s msg=%(message)r"
    )

    async def run() -> None:
        config = load_web_config(web.config_file)
        demo = DemoApp(
            RealClock(),
            CollectorRegistry(),
            rng=random.Random(seed),
            telemetry_path=web.telemetry_path,
        )
        server = Server(demo.app(config), web.listen_addresses, config)

        def started(urls: list[str]) -> None:
            click.echo(f"demo app listening on {', '.join(urls)}", err=True)

        await serve_until_stopped(server, on_started=started)

    try:
        asyncio.run(run())
    except WebError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings=CONTEXT)
def stress() -> None:
    """Bounded host stressors (CPU, memory) for live incidents."""


def _run_stress(kind: str, make: Callable[[], Stressor]) -> None:
    from lab.live.stress import run

    try:
        stressor = make()
    except LiveError as exc:
        raise click.ClickException(str(exc)) from None

    def started(s: Stressor) -> None:
        pids = " ".join(map(str, s.pids))
        click.echo(f"stress {kind}: {len(s.pids)} worker(s) started (pids {pids})", err=True)

    if not run(stressor, started):
        click.echo(f"stress {kind}: interrupted; workers stopped", err=True)
        raise SystemExit(130)
    click.echo(f"stress {kind}: done", err=True)


@stress.command(context_settings=CONTEXT)
@click.option("--cores", type=int, default=1, show_default=True, help="Cores to keep busy.")
@click.option("--duration", type=DURATION, required=True, help="Go duration, e.g. 30s.")
def cpu(cores: int, duration: float) -> None:
    """Keep --cores cores at 100 % for --duration."""
    from lab.live.stress import Stressor

    _run_stress("cpu", lambda: Stressor.cpu(cores, duration))


@stress.command(context_settings=CONTEXT)
@click.option("--bytes", "size", required=True, help="Resident memory to hold, e.g. 256MiB.")
@click.option("--duration", type=DURATION, required=True, help="Go duration, e.g. 30s.")
def memory(size: str, duration: float) -> None:
    """Hold --bytes of resident memory for --duration."""
    from lab.live.stress import Stressor, parse_bytes

    _run_stress("memory", lambda: Stressor.memory(parse_bytes(size), duration))
