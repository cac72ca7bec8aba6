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
    return Flat(ts.astype(np.int64), vals.astype(np.float64), lo, hi)


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
