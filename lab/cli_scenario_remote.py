"""``promlab scenario run NAME --remote-write URL [--speed N]``: a library
scenario streamed in real time into a running server (the work is in
``lab.scenarios.remote_replay``).

``remote_options`` adds the options to ``run``; ``remote_from_run`` is what
``run`` calls when one of them is given. Only click is imported here, so the
``run`` command stays quick to load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from lab.scenarios.runner import Replay

F = TypeVar("F", bound=Callable[..., Any])
WRITE_PATH = "/api/v1/write"


def remote_options(f: F) -> F:
    """``--remote-write``, ``--target-server`` and ``--speed`` for ``run``."""
    f = click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="With --remote-write: scenario seconds per real second "
                          "(default 1: wall-clock time).")(f)
    f = click.option("--target-server", metavar="URL", default=None,
                     help="Like --remote-write, to a promlab server's base URL "
                          f"(http://HOST:PORT; {WRITE_PATH} is added).")(f)
    f = click.option("--remote-write", metavar="URL", default=None,
                     help="Stream the scenario in real time to this remote-write URL, "
                          "starting now (e.g. a `promlab server "
                          "--web.enable-remote-write-receiver`), instead of judging it.")(f)
    return f


def wants_remote(remote_write: str | None, target_server: str | None,
                 speed: float | None) -> bool:
    if speed is not None and not (remote_write or target_server):
        raise click.UsageError("--speed needs --remote-write or --target-server")
    return bool(remote_write or target_server)


def remote_from_run(names: tuple[str, ...], run_all: bool, remote_write: str | None,
                    target_server: str | None, speed: float | None) -> None:
    """Stream exactly one scenario; exit 130 on Ctrl-C."""
    import asyncio

    from lab.clock import RealClock
    from lab.scenarios.library import discover
    from lab.scenarios.remote_replay import ReplaySpeedError, replay_to
    from lab.scenarios.runner import render
    from lab.server.remote.errors import SendError

    if run_all or len(names) != 1 or names[0] == "all":
        raise click.UsageError("--remote-write streams one scenario at a time: name exactly one")
    if remote_write and target_server:
        raise click.UsageError("give --remote-write or --target-server, not both")
    url = remote_write or (target_server or "").rstrip("/") + WRITE_PATH
    library = discover()
    if names[0] not in library:
        raise click.BadParameter(f"no scenario {names[0]}", param_hint="NAME")
    replay = render(library[names[0]])
    speed = 1.0 if speed is None else speed
    clock = RealClock()
    _announce(replay, url, speed, clock.now_ms())
    sent, shown = [0], [0]
    duration_ms = replay.scenario.duration_s() * 1000

    def progress(offset_ms: int, samples: int) -> None:
        # One line per tenth of the scenario streamed.
        sent[0] = samples
        tenth = min(10, int(offset_ms * 10 // duration_ms))
        if tenth > shown[0]:
            shown[0] = tenth
            click.echo(f"  {tenth * 10:3d}%  +{_human(offset_ms / 1000)} of "
                       f"{replay.scenario.duration}, {samples} samples sent")

    try:
        total = asyncio.run(replay_to(url, replay, clock, speed, on_progress=progress))
    except (SendError, ReplaySpeedError) as exc:
        raise click.ClickException(f"{exc} ({sent[0]} samples sent)") from None
    except KeyboardInterrupt:
        click.echo(f"interrupted: {sent[0]} of {replay.samples} samples sent", err=True)
        raise SystemExit(130) from None
    click.echo(f"{replay.scenario.name}: done, {total} samples sent")


def _announce(replay: Replay, url: str, speed: float, now_ms: int) -> None:
    from datetime import UTC, datetime

    def at(offset_s: float) -> str:
        when = datetime.fromtimestamp(now_ms / 1000 + offset_s / speed, UTC)
        return when.strftime("%H:%M:%S UTC")

    scenario = replay.scenario
    click.echo(f"{scenario.name}: {len(replay.series)} series, {replay.samples} samples, "
               f"{scenario.duration} at x{speed:g} into {url}")
    click.echo(f"  starts now, ends at {at(scenario.duration_s())} "
               f"(in {_human(scenario.duration_s() / speed)}); Ctrl-C stops")
    for fault in scenario.faults:
        click.echo(f"  {at(fault.onset_s)}  {fault.name} ({fault.target})")


def _human(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{sec:02d}s" if m else f"{seconds:.1f}s"
