"""What every simulated target shares: the time grid, the knob matrices the
faults drive, counter semantics, and the ``Scrape`` a target hands the runner.

A target is declared with its baseline (e.g. ``Node("node-1", cpu=0.25)``) and
turned into series by ``series(grid, knobs, rng)``. ``knobs[name]`` is a
``(members, steps)`` matrix — one row per pod or instance — holding the
baseline plus every fault applied to that knob. Values are whole numpy
columns; ``NaN`` means "no sample at this scrape" (the series is absent, and
the runner writes a staleness marker where it disappears).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Grid:
    """The scrape grid of a replay: ``steps`` scrapes every ``interval_ms``."""

    start_ms: int
    interval_ms: int
    steps: int

    @property
    def timestamps(self) -> I64:
        return self.start_ms + np.arange(self.steps, dtype=np.int64) * self.interval_ms

    @property
    def t(self) -> F64:
        """Seconds since the start of the replay."""
        return np.arange(self.steps, dtype=np.float64) * (self.interval_ms / 1000.0)

    @property
    def unix(self) -> F64:
        """Unix seconds of each scrape (what ``time()`` and timestamps hold)."""
        return self.timestamps / 1000.0

    @property
    def dt(self) -> float:
        return self.interval_ms / 1000.0


@dataclass(slots=True)
class Scrape:
    """The series one scrape target (``job`` + ``instance``) exposes.

    ``up`` is 1/0 per scrape; where it is 0 the runner blanks every series of
    the scrape. With ``honor_labels`` (the pushgateway) the series keep their
    own ``job``/``instance``; otherwise the runner sets them from the target.
    """

    job: str
    instance: str
    up: F64
    series: list[tuple[Labels, F64]] = field(default_factory=list)
    honor_labels: bool = False
    #: labels service discovery attaches to every series (namespace, pod ...)
    target_labels: dict[str, str] = field(default_factory=dict)

    def add(self, values: F64, __name__: str, **labels: str) -> None:
        """Add a series; its labels get the target's (unless ``honor_labels``)."""
        if values.shape != self.up.shape:
            raise ValueError(f"{__name__}: {values.shape} values for {self.up.shape} scrapes")
        if not self.honor_labels:
            labels.update(self.target_labels, job=self.job, instance=self.instance)
        self.series.append((Labels.of(labels, __name__=__name__), values))


class Target(Protocol):
    """A simulated thing that exports metrics; see the module docstring."""

    @property
    def name(self) -> str: ...

    @property
    def members(self) -> int:
        """Rows of the knob matrices (pods, instances; 1 for a node)."""
        ...

    def baseline(self) -> Mapping[str, float]:
        """Knob name -> resting value. Faults add to these."""
        ...

    def scrapes(self, grid: Grid, knobs: Mapping[str, F64], rng: np.random.Generator) -> Iterator[
        Scrape
    ]: ...


def stable_seed(*key: object) -> int:
    # hash() of a str is salted per process; replays must not be.
    return zlib.crc32(repr(key).encode())


def counter(increments: F64, resets: B, initial: float | F64 = 0.0) -> F64:
    """Cumulative sum of non-negative ``increments`` (along the last axis; a
    matrix is one counter per row) that restarts from the step's own
    increment wherever ``resets`` is true (a process restart), and starts at
    ``initial`` (a process that was already running)."""
    cum = np.cumsum(np.maximum(increments, 0.0), axis=-1)
    if not resets.any():
        out: F64 = cum + (np.asarray(initial)[..., None] if np.ndim(initial) else initial)
        return out
    idx = np.arange(increments.shape[-1])
    last = np.maximum.accumulate(np.where(resets, idx, -1), axis=-1)
    before = np.where(last > 0, np.take_along_axis(
        cum, np.broadcast_to(np.maximum(last - 1, 0), cum.shape), axis=-1), 0.0)
    start = np.asarray(initial)[..., None] if np.ndim(initial) else initial
    out = np.where(last >= 0, cum - before, cum + start)
    return out


def rising(mask: B) -> B:
    """True where ``mask`` becomes true (edges), along the last axis."""
    prev = np.zeros_like(mask)
    prev[..., 1:] = mask[..., :-1]
    return mask & ~prev


def moving_average(x: F64, window: int) -> F64:
    """Trailing mean over ``window`` steps (shorter at the start)."""
    window = max(1, window)
    c = np.cumsum(np.concatenate([[0.0], x]))
    idx = np.arange(1, x.size + 1)
    lo = np.maximum(idx - window, 0)
    out: F64 = (c[idx] - c[lo]) / (idx - lo)
    return out


def wave(grid: Grid, period_s: float, amplitude: float, phase: float = 0.0) -> F64:
    """A slow sinusoid (daily-ish traffic) around 0."""
    return amplitude * np.sin(2 * np.pi * grid.unix / period_s + phase)


def present(mask: B, values: F64) -> F64:
    """``values`` where ``mask``, NaN (absent) elsewhere."""
    return np.where(mask, values, np.nan)


def one_of(states: tuple[str, ...], current: npt.NDArray[np.int_]) -> Iterator[tuple[str, F64]]:
    """KSM-style state sets: one 0/1 series per state, 1 on the current one."""
    for i, state in enumerate(states):
        yield state, (current == i).astype(np.float64)
