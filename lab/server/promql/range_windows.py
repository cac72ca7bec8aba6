"""Range-vector windows flattened for whole-array reductions.

``WindowedRangeVector`` is the evaluator's range vector (it also knows each
step's window end and the extended-selector modifiers). ``flatten`` puts all
series' samples back to back with global (S, T) window bounds, so a range
function reduces every window of every series with one numpy operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import Call, Expr
from lab.server.promql.values import (
    BOOL,
    F64,
    I64,
    InstantVector,
    RangeVector,
    Scalar,
    Value,
)

FunctionImpl = Callable[[EvalContext, Call, list[Value]], Value]


@dataclass(slots=True)
class WindowedRangeVector(RangeVector):
    """A RangeVector that also knows each step's window end ``(t - d, end]``
    (the step time after ``@`` and ``offset``), which rate's extrapolation
    needs. The evaluator always produces this subclass."""

    ends: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: windows widened by the ``anchored`` / ``smoothed`` selector modifiers
    anchored: bool = False
    smoothed: bool = False


@dataclass(slots=True)
class Flat:
    ts: I64  # (N + 1,) all series' samples back to back, plus one padding slot
    vals: F64  # (N + 1,)
    lo: I64  # (S, T) global window start
    hi: I64  # (S, T) global window end (exclusive)

    @property
    def n(self) -> I64:
        return self.hi - self.lo


def flatten(rv: RangeVector) -> Flat:
    lens = np.array([s.timestamps.size for s in rv.series], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64) if lens.size else lens
    ts = np.concatenate([s.timestamps for s in rv.series] + [np.zeros(1, dtype=np.int64)])
    vals = np.concatenate([s.values for s in rv.series] + [np.zeros(1)])
    lo = rv.lo + base[:, None] if lens.size else rv.lo
    hi = rv.hi + base[:, None] if lens.size else rv.hi
    # concatenate already made fresh arrays: no second copy for the dtypes
    return Flat(ts.astype(np.int64, copy=False), vals.astype(np.float64, copy=False), lo, hi)


def grid_window_bounds(timestamps: list[I64], refs: I64, range_ms: int) -> tuple[I64, I64] | None:
    """Every series' window bounds ``(t - range, t]`` at once when the window
    ends ``refs`` are an evenly spaced grid (a range query's steps), else None.

    ``hi[s, t]`` is the number of samples at or before ``refs[t]`` (what
    ``searchsorted(ts, refs, side="right")`` gives): each sample is first
    counted at step ``ceil((ts - refs[0]) / step)``, so a histogram of those
    first steps per series, cumulated along the steps, is ``hi``; ``lo`` is
    the same for ``refs - range``. That costs O(samples + S x T) in a few
    whole-array operations instead of two binary searches per series."""
    steps = refs.size
    if steps == 0 or not timestamps:
        return None
    step = int(refs[1] - refs[0]) if steps > 1 else 1
    if step <= 0 or (steps > 2 and not np.all(np.diff(refs) == step)):
        return None
    lens = np.array([t.size for t in timestamps], dtype=np.int64)
    ts = np.concatenate(timestamps)
    row = np.repeat(np.arange(lens.size, dtype=np.int64) * (steps + 1), lens)
    cells = lens.size * (steps + 1)

    def first_steps(end: int) -> I64:
        """``ceil((ts - end) / step)`` in place on one fresh array (fresh
        multi-MB temporaries cost more in page faults than in arithmetic)."""
        q = np.subtract(end, ts)
        np.floor_divide(q, step, out=q)
        return np.negative(q, out=q)

    def counts(first: I64) -> I64:
        np.clip(first, 0, steps, out=first)
        first += row
        hist = np.bincount(first, minlength=cells).reshape(lens.size, steps + 1)
        return np.cumsum(hist[:, :steps], axis=1, dtype=np.int64)

    start = int(refs[0])
    hi_first = first_steps(start)
    if range_ms % step == 0:
        lo_first = hi_first + range_ms // step
    else:
        lo_first = first_steps(start - range_ms)
    return counts(lo_first), counts(hi_first)


def window_ends(ctx: EvalContext, rv: RangeVector) -> I64:
    if isinstance(rv, WindowedRangeVector) and rv.ends.size == rv.lo.shape[1]:
        return rv.ends
    return ctx.times


def window_result(
    rv: RangeVector, values: F64, present: BOOL, keep_name: bool = False
) -> InstantVector:
    """Build the output vector, dropping series that have no point at all."""
    rows = np.flatnonzero(present.any(axis=1)) if present.size else np.zeros(0, dtype=np.int64)
    labels = [rv.series[i].labels for i in rows]
    drop = rv.drop_name[rows] if keep_name else np.ones(rows.size, dtype=bool)
    vals = np.where(present[rows], values[rows], 0.0)
    return InstantVector(labels, vals, present[rows].copy(), drop)


def range_arg(args: list[Value]) -> RangeVector:
    rv = args[0]
    if not isinstance(rv, RangeVector):
        raise EvalError("expected a range vector argument")
    return rv


def scalar_arg(args: list[Value], i: int, steps: int) -> F64:
    v = args[i]
    if isinstance(v, Scalar):
        return v.values
    raise EvalError(f"expected a scalar argument {i + 1}")


def pos_suffix(expr: Expr) -> str:
    return f" (1:{expr.pos.start + 1})"
