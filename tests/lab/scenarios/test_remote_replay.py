"""Live replay over remote write: the schedule on a virtual clock, then a
short scenario at x3600 into a promlab server with the receiver on.

Nothing asserts on durations: "recent" below compares timestamps with the
wall clock read around the replay, not how long it took."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from lab.cli import main
from lab.clock import VirtualClock
from lab.model.value import is_stale
from lab.scenarios.library import get
from lab.scenarios.remote_replay import ReplaySpeedError, Schedule, stream
from lab.scenarios.runner import render
from lab.server.remote.codec import SeriesData, decode_write_request, encode_write_request
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.test_server_rules import start_server

T0 = 1_800_000_000_000


def _stream_virtually(name: str, speed: float, batch: int = 5_000
                      ) -> tuple[list[tuple[int, list[SeriesData]]], int]:
    """Every request with the clock's time when it was sent."""
    replay = render(get(name))
    sent: list[tuple[int, list[SeriesData]]] = []

    async def run() -> int:
        clock = VirtualClock(start_ms=T0)

        async def send(series: list[SeriesData]) -> None:
            sent.append((clock.now_ms(), series))

        task = asyncio.create_task(stream(replay, send, clock, speed, batch_samples=batch))
        await clock.advance_to(T0 + int(replay.scenario.duration_s() * 1000 / speed) + 60_000)
        return await task

    return sent, asyncio.run(run())


def test_the_schedule_starts_now_and_keeps_every_sample_and_its_order() -> None:
    replay = render(get("slow-checkout"))
    speed = 60.0
    sent, total = _stream_virtually("slow-checkout", speed, batch=700)
    assert total == replay.samples == sum(s.timestamps.size for _, b in sent for s in b)
    assert all(sum(s.timestamps.size for s in b) <= 700 for _, b in sent)
    # never stamped after the moment it is sent; starts at the stream's start
    assert all(int(s.timestamps.max()) <= at for at, b in sent for s in b)
    first = min(int(s.timestamps.min()) for _, b in sent for s in b)
    assert T0 <= first < T0 + replay.grid.interval_ms / speed
    # per series: the replay's samples, values as they were, time divided by the speed
    got: dict[object, list[tuple[int, float]]] = {}
    for _, batch in sent:
        for s in batch:
            got.setdefault(s.labels, []).extend(
                zip(s.timestamps.tolist(), s.values.tolist(), strict=True))
    present = [s for s in replay.series if s.timestamps.size]  # some never exist
    assert len(got) == len(present)
    start = replay.grid.start_ms
    for series in present:
        ts, vs = zip(*got[series.labels], strict=True)
        want_ts = T0 + np.floor((series.timestamps - start) / speed).astype(np.int64)
        assert list(ts) == want_ts.tolist()
        assert np.all(np.diff(ts) > 0)
        assert [is_stale(v) for v in vs] == [is_stale(v) for v in series.values.tolist()]
        np.testing.assert_array_equal(np.array(vs), series.values)


def test_staleness_markers_survive_the_wire() -> None:
    replay = render(get("node-down"))  # the dead node's series end in markers
    schedule = Schedule.of(replay)
    stamps = T0 + schedule.offsets
    decoded = decode_write_request(encode_write_request(schedule.batch(0, len(schedule), stamps)))
    assert sum(is_stale(v) for s in decoded for v in s.values.tolist()) == sum(
        is_stale(v) for s in replay.series for v in s.values.tolist()) > 0


def test_a_speed_that_would_merge_scrapes_is_refused() -> None:
    replay = render(get("slow-checkout"))

    async def send(series: list[SeriesData]) -> None:
        raise AssertionError("nothing may be sent")

    with pytest.raises(ReplaySpeedError, match="speed must be in"):
        asyncio.run(stream(replay, send, VirtualClock(), replay.grid.interval_ms * 2.0))


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=30) as resp:
        data = json.loads(resp.read())
    assert data["status"] == "success", data
    result: list[dict[str, Any]] = data["data"]["result"]
    return result


def test_live_replay_into_a_server_over_remote_write(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {}\n")
    replay = render(get("slow-checkout"))
    with start_server(config, MemoryStorage(), enable_remote_write_receiver=True) as running:
        base = running.client.base
        before = time.time()
        result = CliRunner().invoke(main, ["scenario", "run", "slow-checkout", "--speed", "3600",
                                           "--target-server", base])
        after = time.time()
        assert result.exit_code == 0, result.output
        assert f"slow-checkout: done, {replay.samples} samples sent" in result.output
        names = {s.labels.get("__name__") for s in replay.series if s.timestamps.size}
        # every name, including those whose series end (staleness) before the replay
        with urllib.request.urlopen(f"{base}/api/v1/label/__name__/values", timeout=30) as resp:
            assert set(json.loads(resp.read())["data"]) == names
        # the scenario's targets, stamped between the start of the replay and now
        stamps = _query(base, "timestamp(up)")
        assert {r["metric"]["job"] for r in stamps} == {
            s.labels.get("job") for s in replay.series if s.labels.get("__name__") == "up"}
        for r in stamps:
            assert before - 1 <= float(r["value"][1]) <= after


def test_cli_usage_and_a_server_without_the_receiver(tmp_path: Path) -> None:
    runner = CliRunner()
    alone = runner.invoke(main, ["scenario", "run", "slow-checkout", "--speed", "2"])
    assert alone.exit_code == 2 and "--speed needs --remote-write" in alone.output
    several = runner.invoke(main, ["scenario", "run", "all", "--remote-write", "http://x"])
    assert several.exit_code == 2 and "one scenario at a time" in several.output
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {}\n")
    with start_server(config, MemoryStorage()) as running:
        refused = runner.invoke(main, ["scenario", "run", "slow-checkout", "--speed", "3600",
                                       "--remote-write", running.client.base + "/api/v1/write"])
    assert refused.exit_code == 1
    assert "404" in refused.output and "--web.enable-remote-write-receiver" in refused.output
