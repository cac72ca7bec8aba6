"""Stream a scenario into a running server over remote write, in real time.

For training: ``promlab scenario run NAME --remote-write URL`` plays the
incident into a ``promlab server --web.enable-remote-write-receiver`` (or any
remote-write receiver: Prometheus, Mimir, VictoriaMetrics) while people watch
its dashboards and alerts move.

Timing: a sample ``o`` ms after the scenario's start is due ``o / speed`` ms
after the stream starts and carries that wall-clock instant as its timestamp.
So the replay starts *now*; at speed 1 it unfolds exactly as the incident did
(the scrape spacing, rates and ``for`` durations are the real ones); at speed
N it is compressed N times (a 4 h incident at x60 takes 4 minutes; samples
are interval/N apart, so rates read N times higher, as with ``scenario live
--time-scale``). Samples are never stamped in the future and arrive in order,
which is what a receiver's head accepts.

Everything due is sent at once (several requests of at most ``batch_samples``)
and the loop sleeps on the injected ``Clock`` until the next sample is due, so
tests run it on a ``VirtualClock``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lab.clock import Clock
from lab.scenarios.runner import Replay
from lab.scenarios.targets.base import F64, I64
from lab.server.remote.codec import SeriesData

Send = Callable[[list[SeriesData]], Awaitable[None]]
#: called after each round of sends: (scenario ms streamed so far, samples sent)
Progress = Callable[[int, int], None]

DEFAULT_BATCH_SAMPLES = 5_000


class ReplaySpeedError(ValueError):
    """The speed would put two scrapes of a series on the same millisecond."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """Every sample of a replay in send order: series index, offset from the
    scenario's start (ms) and value, sorted by offset (stable: a series'
    samples keep their order)."""

    replay: Replay
    series: I64
    offsets: I64
    values: F64

    @classmethod
    def of(cls, replay: Replay) -> Schedule:
        start = replay.grid.start_ms
        sizes = [s.timestamps.size for s in replay.series]
        series = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        if replay.series:
            offsets = np.concatenate([s.timestamps for s in replay.series]) - start
            values = np.concatenate([s.values for s in replay.series])
        else:
            offsets, values = np.zeros(0, np.int64), np.zeros(0, np.float64)
        order = np.argsort(offsets, kind="stable")
        return cls(replay, series[order], offsets[order].astype(np.int64), values[order])

    def __len__(self) -> int:
        return int(self.offsets.size)

    def batch(self, lo: int, hi: int, stamps: I64) -> list[SeriesData]:
        """Samples ``lo:hi`` grouped by series, with timestamps ``stamps[lo:hi]``."""
        idx = self.series[lo:hi]
        order = np.argsort(idx, kind="stable")
        idx, ts, vs = idx[order], stamps[lo:hi][order], self.values[lo:hi][order]
        cuts = np.flatnonzero(np.diff(idx)) + 1
        out = []
        for part_i, part_t, part_v in zip(np.split(idx, cuts), np.split(ts, cuts),
                                          np.split(vs, cuts), strict=True):
            labels = self.replay.series[int(part_i[0])].labels
            out.append(SeriesData(labels, part_t, part_v))
        return out


def max_speed(replay: Replay) -> float:
    """Above this, a series' consecutive scrapes would share a millisecond."""
    return float(replay.grid.interval_ms)


async def stream(replay: Replay, send: Send, clock: Clock, speed: float = 1.0, *,
                 batch_samples: int = DEFAULT_BATCH_SAMPLES,
                 on_progress: Progress | None = None) -> int:
    """Send the replay as its samples fall due on ``clock``; returns how many
    samples were sent. Cancelling it (Ctrl-C) stops between two requests."""
    if not 0 < speed <= max_speed(replay):
        raise ReplaySpeedError(
            f"speed must be in (0, {max_speed(replay):g}] for a {replay.grid.interval_ms} ms "
            "scrape interval (two scrapes of a series on one millisecond otherwise)")
    schedule = Schedule.of(replay)
    start = clock.now_ms()
    # Due time = timestamp: floor keeps each stamp at or before its due time.
    stamps: I64 = start + np.floor(schedule.offsets / speed).astype(np.int64)
    sent = 0
    while sent < len(schedule):
        due_until = int(np.searchsorted(stamps, clock.now_ms(), side="right"))
        if due_until == sent:
            await clock.sleep_until(int(stamps[sent]))
            continue
        for lo in range(sent, due_until, batch_samples):
            hi = min(lo + batch_samples, due_until)
            await send(schedule.batch(lo, hi, stamps))
        sent = due_until
        if on_progress is not None:
            on_progress(int(schedule.offsets[sent - 1]), sent)
    return sent


async def send_with_retries(post: Callable[[bytes], Awaitable[None]],
                            series: Sequence[SeriesData], *, attempts: int = 5,
                            backoff_s: float = 0.2, clock: Clock) -> None:
    """Encode and post one request, retrying what remote write calls
    recoverable (5xx, connection errors) with doubling back-off; a 4xx is
    raised at once (the receiver will not take it on a second try either)."""
    from lab.server.remote.codec import encode_write_request
    from lab.server.remote.errors import RecoverableSendError

    body = encode_write_request(list(series))
    for attempt in range(attempts):
        try:
            await post(body)
            return
        except RecoverableSendError:
            if attempt == attempts - 1:
                raise
            await clock.sleep(backoff_s * 2**attempt)


async def replay_to(url: str, replay: Replay, clock: Clock, speed: float = 1.0, *,
                    on_progress: Progress | None = None) -> int:
    """``stream`` into the remote-write endpoint ``url`` (``lab.server.remote``'s
    client: snappy protobuf, the protocol headers)."""
    from lab.server.remote.client import WriteClient
    from lab.server.remote.config import RemoteWriteConfig

    client = WriteClient(RemoteWriteConfig(url=url, remote_timeout_ms=30_000))

    async def send(series: list[SeriesData]) -> None:
        await send_with_retries(client.store, series, clock=clock)

    try:
        return await stream(replay, send, clock, speed, on_progress=on_progress)
    finally:
        await client.close()
