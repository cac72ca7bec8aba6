"""Shape factories as data: (shape, seconds since onset -> expected value)."""

from __future__ import annotations

import numpy as np
import pytest

from lab.scenarios.shapes import (
    Shape,
    constant,
    noise,
    plateau,
    ramp,
    sawtooth,
    seconds,
    spike,
    step,
    stop,
)

CASES: list[tuple[str, Shape, dict[float, float], float | None]] = [
    # name, shape, {t: value}, end
    ("ramp", ramp(10, over="10s"), {-1: 0, 0: 0, 5: 5, 10: 10, 100: 10}, None),
    ("ramp hold", ramp(10, over="10s", hold="5s"), {12: 10, 15: 0, 20: 0}, 15),
    ("plateau", plateau(4, hold="10s", rise="2s", fall="2s"),
     {0: 0, 1: 2, 2: 4, 11: 4, 13: 2, 14: 0, 30: 0}, 14),
    ("plateau square", plateau(1, hold="5s"), {0: 1, 4: 1, 5: 0}, 5),
    ("spike", spike(8, width="4s"), {0: 0, 1: 4, 2: 8, 3: 4, 4: 0}, 4),
    ("sawtooth", sawtooth(10, period="10s", cycles=2), {0: 0, 5: 5, 10: 0, 15: 5, 20: 0}, 20),
    ("step", step(3), {-5: 0, 0: 3, 1e6: 3}, None),
    ("step for", step(3, for_="1m"), {59: 3, 60: 0}, 60),
    ("stop", stop(for_="10s"), {0: 1, 9: 1, 10: 0}, 10),
    ("sum", ramp(1, over="10s") + constant(2), {-1: 0, 5: 2.5}, None),
    ("scaled", plateau(2, hold="10s") * 3, {5: 6, 10: 0}, 10),
    ("delayed", step(1).delay("5s"), {4: 0, 5: 1}, None),
    ("clipped", ramp(10, over="10s").clip(0, 4), {5: 4, 2: 2}, None),
    ("sum ends with its finite part", plateau(1, hold="10s") + constant(5), {5: 6, 10: 0}, 10),
]


@pytest.mark.parametrize(("name", "shape", "points", "end"), CASES, ids=[c[0] for c in CASES])
def test_shape_values(name: str, shape: Shape, points: dict[float, float], end: float | None
                      ) -> None:
    t = np.asarray(list(points), dtype=np.float64)
    got = shape(t, np.random.default_rng(0))
    assert got.tolist() == pytest.approx(list(points.values()))
    assert shape.end == end


def test_noise_is_seeded_and_zero_before_onset() -> None:
    t = np.arange(-5.0, 100.0)
    a = noise(1.0)(t, np.random.default_rng(7))
    b = noise(1.0)(t, np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert not a[:5].any()
    assert a[5:].std() > 0.5


@pytest.mark.parametrize(
    ("text", "want"), [("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), (12, 12)]
)
def test_seconds(text: str | int, want: float) -> None:
    assert seconds(text) == want


@pytest.mark.parametrize("bad", ["", "5", "1x", "m5", "1h 5m"])
def test_seconds_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        seconds(bad)
