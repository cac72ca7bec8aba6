"""Shape factories: how a fault's intensity varies over time.

A ``Shape`` maps a numpy array of seconds *since the fault's onset* to an
array of values, all at once (no per-sample loop). Every factory returns 0
before the onset, so a fault adds nothing to the baseline until it starts::

    plateau(0.7, hold="40m", rise="5m", fall="5m")   # CPU +70 % for ~50 min
    ramp(0.5, over="30m") + noise(0.02)              # a leak with jitter
    sawtooth(1.0, period="4m", cycles=10)            # fill, OOM, restart ...
    stop(for_="20m")                                 # 1 while the target is down

Shapes compose with ``+``, ``*`` (shape or number), ``.delay(d)``,
``.until(d)`` and ``.clip(lo, hi)``; a sum ends when its longest finite
part ends (``plateau(...) + noise(...)`` is over with the plateau).
``Shape.end`` is when the shape is over (seconds after onset; ``None`` =
never), which scenarios use as the moment of recovery.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Duration = str | float | int

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def seconds(d: Duration) -> float:
    """``"1h30m"`` -> 5400.0; numbers are seconds already."""
    if isinstance(d, int | float):
        return float(d)
    text = d.strip()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration {d!r} (want e.g. 90s, 5m, 1h30m)")
    return total


Fn = Callable[[F64, np.random.Generator], F64]


@dataclass(frozen=True, slots=True)
class Shape:
    """A vectorised function of time since onset; see the module docstring."""

    fn: Fn
    end: float | None = None

    def __call__(self, t: F64, rng: np.random.Generator) -> F64:
        out = np.asarray(self.fn(t, rng), dtype=np.float64)
        return np.where(t < 0, 0.0, np.broadcast_to(out, t.shape))

    def __add__(self, other: Shape | float) -> Shape:
        o = _lift(other)
        total = Shape(lambda t, r: self(t, r) + o(t, r), None)
        ends = [e for e in (self.end, o.end) if e is not None]
        # A finite fault plus endless jitter is still a finite fault: the sum
        # ends with the longest finite part.
        return total.until(max(ends)) if ends else total

    __radd__ = __add__

    def __mul__(self, other: Shape | float) -> Shape:
        o = _lift(other)
        # A product is over as soon as either factor is (it is 0 from then on).
        ends = [e for e in (self.end, o.end) if e is not None]
        return Shape(lambda t, r: self(t, r) * o(t, r), min(ends) if ends else None)

    __rmul__ = __mul__

    def delay(self, d: Duration) -> Shape:
        s = seconds(d)
        return Shape(lambda t, r: self(t - s, r), None if self.end is None else self.end + s)

    def until(self, d: Duration) -> Shape:
        s = seconds(d)
        return Shape(lambda t, r: np.where(t < s, self(t, r), 0.0), s)

    def clip(self, lo: float, hi: float) -> Shape:
        return Shape(lambda t, r: np.clip(self(t, r), lo, hi), self.end)


def _lift(x: Shape | float) -> Shape:
    if isinstance(x, Shape):
        return x
    value = float(x)
    return Shape(lambda t, r: np.full(t.shape, value), None)


def constant(value: float, for_: Duration | None = None) -> Shape:
    shape = Shape(lambda t, r: np.full(t.shape, float(value)), None)
    return shape if for_ is None else shape.until(for_)


def step(height: float, for_: Duration | None = None) -> Shape:
    """Jump to ``height`` at onset (and back to 0 after ``for_``)."""
    return constant(height, for_)


def stop(for_: Duration | None = None) -> Shape:
    """1 while a target is stopped (down, not pushing), 0 otherwise; use it on
    a ``down`` knob."""
    return step(1.0, for_)


def ramp(to: float, over: Duration, hold: Duration | None = None) -> Shape:
    """Linear from 0 to ``to`` over ``over``, then hold (for ``hold``, if given)."""
    span = max(seconds(over), 1e-9)
    shape = Shape(lambda t, r: to * np.clip(t / span, 0.0, 1.0), None)
    return shape if hold is None else shape.until(span + seconds(hold))


def plateau(
    height: float, hold: Duration, rise: Duration = 0, fall: Duration = 0
) -> Shape:
    """A trapezoid: rise to ``height``, hold it, fall back to 0."""
    up, flat, down = seconds(rise), seconds(hold), seconds(fall)

    def fn(t: F64, r: np.random.Generator) -> F64:
        rising = np.clip(t / up, 0.0, 1.0) if up > 0 else np.ones_like(t)
        falling = np.clip((up + flat + down - t) / down, 0.0, 1.0) if down > 0 else (
            (t < up + flat).astype(np.float64)
        )
        return height * np.minimum(rising, falling)

    return Shape(fn, up + flat + down)


def spike(height: float, width: Duration) -> Shape:
    """A short triangular burst peaking at ``width / 2``."""
    w = seconds(width)
    half = w / 2
    return Shape(lambda t, r: height * np.clip(1 - np.abs(t - half) / half, 0.0, 1.0), w)


def sawtooth(height: float, period: Duration, cycles: int | None = None) -> Shape:
    """Climb from 0 to ``height`` every ``period``, then drop (fill-and-crash)."""
    p = seconds(period)
    shape = Shape(lambda t, r: height * np.mod(t, p) / p, None)
    return shape if cycles is None else shape.until(p * cycles)


def noise(sd: float, for_: Duration | None = None) -> Shape:
    """Gaussian jitter drawn from the target's seeded generator."""
    shape = Shape(lambda t, r: r.normal(0.0, sd, t.shape), None)
    return shape if for_ is None else shape.until(for_)
