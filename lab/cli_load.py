"""``promlab load`` (thin; the work is in ``lab.live.load``).

This module imports only click at the top: the command patches the standard
library for gevent (what locust needs) *before* anything imports ssl, sockets
or aiohttp, which is the order gevent requires. So the durations are parsed
inside the command, after the patch, not by a click type from the web layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


@click.command(context_settings=CONTEXT)
@click.option(
    "--target", required=True, help="Base URL of the demo app, e.g. http://127.0.0.1:8080"
)
@click.option("--users", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option(
    "--spawn-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Users started per second.",
)
@click.option("--duration", required=True, help="Hard bound on the run (Go duration: 30s, 5m).")
@click.option(
    "--shape",
    default="constant",
    show_default=True,
    help="A stages YAML file, or one of: constant, ramp, spike.",
)
@click.option(
    "--web.listen-address",
    "listen",
    default="127.0.0.1:9646",
    show_default=True,
    help="Where locust's stats are served as Prometheus metrics (port 0: any free port).",
)
@click.option(
    "--linger",
    default="0s",
    show_default=True,
    help="Keep serving the final metrics this long after the run (max 10m).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    default=False,
    help="Allow a non-loopback target (off by default: lab safety).",
)
def load(
    target: str,
    users: int,
    spawn_rate: float,
    duration: str,
    shape: str,
    listen: str,
    linger: str,
    allow_remote: bool,
) -> None:
    """Headless locust load against the demo app, bounded by --duration.

    Only loopback targets (localhost, 127.0.0.0/8, ::1) are accepted unless
    --allow-remote is given: a lab safety default.
    """
    from lab.live.errors import LiveError
    from lab.live.safety import check_target

    # Refuse before anything is imported, patched or started.
    try:
        url = check_target(target, allow_remote=allow_remote)
    except LiveError as exc:
        raise click.ClickException(str(exc)) from None

    from gevent import monkey

    monkey.patch_all()

    from exporters.common.web import WebError, parse_duration
    from lab.live import shapes
    from lab.live.load import LoadOptions, run_load

    try:
        duration_s = _duration(parse_duration, duration, "--duration")
        linger_s = _duration(parse_duration, linger, "--linger")
        if duration_s <= 0:
            raise click.BadParameter("must be > 0", param_hint="--duration")
        if not 0 <= linger_s <= 600:
            raise click.BadParameter("must be between 0s and 10m", param_hint="--linger")
        if shape in shapes.BUILTIN:
            plan = shapes.builtin(shape, users, spawn_rate, duration_s)
        else:
            plan = shapes.load_stages(shape)
        options = LoadOptions(url, plan, duration_s, listen, linger_s)
        summary = run_load(
            options, on_listening=lambda u: click.echo(f"locust metrics at {u}", err=True)
        )
    except (LiveError, WebError) as exc:
        raise click.ClickException(str(exc)) from None
    rate = f"{summary.failures / summary.requests:.1%}" if summary.requests else "n/a"
    click.echo(f"requests: {summary.requests} failures: {summary.failures} ({rate})")
    for route, count in summary.by_route.items():
        click.echo(f"  {route}: {count}")
    if summary.requests == 0:
        click.echo("warning: no request was sent; is the target up?", err=True)


def _duration(parse: Callable[[str], float], text: str, flag: str) -> float:
    try:
        return parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=flag) from None
