"""The runner: deterministic, bulk and clock paths agree, scrape series."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from lab.model.matcher import Matcher, MatchType
from lab.scenarios.runner import play_on_virtual_clock, render
from lab.scenarios.scenario import Fault, Scenario, ScenarioError
from lab.scenarios.shapes import stop
from lab.scenarios.targets import Node
from lab.server.storage.memory import MemoryStorage


class Small(Scenario):
    name = "small"
    description = "One node that goes away for ten minutes."
    duration = "40m"
    baseline = "10m"
    scrape_interval = "1m"
    targets = (Node("n1", cpus=1),)
    faults = (Fault("gone", at="15m", target="n1", knob="down", shape=stop(for_="10m")),)


def _dump(storage: MemoryStorage) -> dict[object, tuple[list[int], list[float]]]:
    out = {}
    q = storage.querier(0, 2**62)
    for s in q.select([Matcher(MatchType.REGEX, "__name__", ".+")]):
        out[s.labels] = (s.timestamps.tolist(), s.values.view(np.int64).tolist())
    return out


def test_render_is_deterministic() -> None:
    a, b = render(Small), render(Small)
    assert [s.labels for s in a.series] == [s.labels for s in b.series]
    for x, y in zip(a.series, b.series, strict=True):
        assert np.array_equal(x.values.view(np.int64), y.values.view(np.int64))


def test_clock_replay_equals_bulk_write() -> None:
    replay = render(Small)
    bulk, played = MemoryStorage(), MemoryStorage()
    replay.write(bulk)
    written = asyncio.run(play_on_virtual_clock(replay, played))
    assert written == replay.samples
    assert _dump(bulk) == _dump(played)


def test_scrape_series_follow_the_target() -> None:
    replay = render(Small)
    by_name = {s.labels.name: s for s in replay.series if s.labels.get("job") == "node"}
    up = by_name["up"].values
    scraped = by_name["scrape_samples_scraped"].values
    added = by_name["scrape_series_added"].values
    assert up.tolist().count(0.0) == 10
    assert (scraped[up == 0] == 0).all()
    assert scraped[0] == added[0] == scraped[1] > 40
    assert added[1] == 0
    # after the outage every series is new again
    back = int(np.flatnonzero(up == 0)[-1]) + 1
    assert added[back] == scraped[back]


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ((Fault("x", at="15m", target="nope", knob="down", shape=stop()),), "no target"),
        ((Fault("x", at="15m", target="n1", knob="nope", shape=stop()),), "has no knob"),
        ((Fault("x", at="5m", target="n1", knob="down", shape=stop()),), "inside the baseline"),
    ],
)
def test_validation(faults: tuple[Fault, ...], message: str) -> None:
    bad = type("Bad", (Small,), {"faults": faults})
    with pytest.raises(ScenarioError, match=message):
        render(bad)
