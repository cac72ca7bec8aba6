"""The AST walk: every node is evaluated once for all the steps of its context.

* Instant selectors become (series x steps) arrays: for each series,
  ``np.searchsorted`` finds the newest sample at or before each step's reference
  time (step time, or the ``@`` time, minus ``offset``); it counts if it is
  inside the lookback window ``(ref - lookback, ref]`` and not a staleness marker.
* Matrix selectors become ``WindowedRangeVector``: raw samples plus per-step
  window bounds for ``(ref - range, ref]``.
* Subqueries evaluate their inner expression once, on the grid of multiples of
  the subquery step (counted from epoch 0) covering every step's window, and
  then window that grid like a matrix selector.
* A subtree whose value cannot change from step to step (every selector and
  subquery in it carries ``@``, and no time-dependent function) is evaluated at
  a single step and broadcast, as upstream's step-invariant optimisation does.

Operators, aggregations and most functions live in sibling modules; this module
only routes to them and enforces the engine-level rules (duplicate label sets,
sample limits, timeout).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lab.model.labels import METRIC_NAME, Labels
from lab.model.value import stale_mask
from lab.server.promql.context import Annotations, EvalContext
from lab.server.promql.errors import EvalError, QueryTimeoutError, TooManySamplesError
from lab.server.promql.parser.ast import (
    AggregateExpr,
    AtKind,
    AtModifier,
    BinaryExpr,
    Call,
    Expr,
    MatrixSelector,
    NumberLiteral,
    ParenExpr,
    StringLiteral,
    SubqueryExpr,
    UnaryExpr,
    VectorSelector,
)
from lab.server.promql.range_functions import RANGE_FUNCTIONS
from lab.server.promql.range_windows import WindowedRangeVector, grid_window_bounds
from lab.server.promql.values import (
    BOOL,
    F64,
    I64,
    InstantVector,
    RangeSeries,
    RangeVector,
    Scalar,
    StringValue,
    Value,
)
from lab.server.storage.interface import Queryable

#: Functions whose result depends on the evaluation time even when their
#: arguments do not (upstream's AtModifierUnsafeFunctions).
AT_UNSAFE_FUNCTIONS = frozenset(
    {
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour",
        "minute", "month", "year", "predict_linear", "time", "timestamp",
        "step", "start", "end", "range",
    }
)  # fmt: skip

#: Labels removed together with ``__name__`` (upstream's DropReserved).
_NAME_LIKE = frozenset({METRIC_NAME, "__type__", "__unit__"})

DUPLICATE_LABELSET = "vector cannot contain metrics with the same labelset"


def drop_metric_name(labels: Labels) -> Labels:
    return Labels.from_sorted(p for p in labels if p[0] not in _NAME_LIKE)


@dataclass(slots=True)
class QueryBounds:
    """The top-level query's range, which ``@ start()``, ``step()`` etc. refer to."""

    start_ms: int
    end_ms: int
    step_ms: int


def to_ms(seconds: float) -> int:
    return round(seconds * 1000.0)


class Evaluator:
    def __init__(
        self,
        queryable: Queryable,
        bounds: QueryBounds,
        *,
        lookback_ms: int,
        max_samples: int,
        deadline: float,
        annotations: Annotations,
        default_subquery_step_ms: int = 60_000,
    ) -> None:
        self._queryable = queryable
        self._bounds = bounds
        self._lookback = lookback_ms
        self._max_samples = max_samples
        self._deadline = deadline
        self.annotations = annotations
        self._default_substep = default_subquery_step_ms

    # -- entry points -----------------------------------------------------------------

    def context(self, start_ms: int, end_ms: int, step_ms: int) -> EvalContext:
        return EvalContext(
            start_ms,
            end_ms,
            step_ms,
            lookback_ms=self._lookback,
            max_samples=self._max_samples,
            annotations=self.annotations,
        )

    def evaluate(self, expr: Expr) -> tuple[Value, EvalContext]:
        b = self._bounds
        ctx = self.context(b.start_ms, b.end_ms, b.step_ms)
        return self.eval(expr, ctx), ctx

    # -- the walk ------------------------------------------------------------------------

    def eval(self, node: Expr, ctx: EvalContext) -> Value:
        if time.monotonic() > self._deadline:
            raise QueryTimeoutError()
        steps = ctx.num_steps
        literal = isinstance(node, NumberLiteral | StringLiteral)
        if steps > 1 and not literal and is_step_invariant(node):
            t0 = int(ctx.times[0])
            one = self.context(t0, t0, ctx.step_ms)
            return broadcast(self._eval_node(node, one), steps)
        return self._eval_node(node, ctx)

    def _eval_node(self, node: Expr, ctx: EvalContext) -> Value:
        steps = ctx.num_steps
        if isinstance(node, NumberLiteral):
            return Scalar(np.full(steps, node.value, dtype=np.float64))
        if isinstance(node, StringLiteral):
            return StringValue(node.value)
        if isinstance(node, ParenExpr):
            return self.eval(node.expr, ctx)
        if isinstance(node, UnaryExpr):
            return self._unary(node, ctx)
        if isinstance(node, VectorSelector):
            vec, _ = self.select_instant(node, ctx)
            return vec
        if isinstance(node, MatrixSelector):
            return self.select_range(node, ctx)
        if isinstance(node, SubqueryExpr):
            return self.subquery(node, ctx)
        if isinstance(node, Call):
            return self._call(node, ctx)
        if isinstance(node, AggregateExpr):
            return self._aggregate(node, ctx)
        if isinstance(node, BinaryExpr):
            from lab.server.promql.binops import binary_op

            lhs = self.eval(node.lhs, ctx)
            rhs = self.eval(node.rhs, ctx)
            return binary_op(ctx, node, lhs, rhs)
        raise EvalError(f"unhandled expression of type {type(node).__name__}")

    def _unary(self, node: UnaryExpr, ctx: EvalContext) -> Value:
        val = self.eval(node.expr, ctx)
        if node.op != "-":
            return val
        if isinstance(val, Scalar):
            return Scalar(-val.values)
        if isinstance(val, InstantVector):
            return InstantVector(
                list(val.labels),
                -val.values,
                val.present,
                np.ones(val.num_series, dtype=bool),
            )
        raise EvalError("unary minus is only allowed on scalars and instant vectors")

    def _aggregate(self, node: AggregateExpr, ctx: EvalContext) -> Value:
        from lab.server.promql.aggregations import aggregate

        param = self.eval(node.param, ctx) if node.param is not None else None
        vec = self.eval(node.expr, ctx)
        if not isinstance(vec, InstantVector):
            raise EvalError("aggregation over a non-instant vector")
        return aggregate(ctx, node, vec, param)

    def _call(self, node: Call, ctx: EvalContext) -> Value:
        if node.func == "timestamp":
            return self._timestamp(node, ctx)
        if node.func == "info":
            from lab.server.promql.info import eval_info

            return merge_same_labels(eval_info(self, node, ctx))
        _check_extended_modifiers(node)
        args = [self.eval(a, ctx) for a in node.args]
        if node.func in RANGE_FUNCTIONS:
            self._check_window_samples(args)
            return RANGE_FUNCTIONS[node.func](ctx, node, args)
        from lab.server.promql.functions import INSTANT_FUNCTIONS

        impl = INSTANT_FUNCTIONS.get(node.func)
        if impl is None:
            raise EvalError(f"function {node.func!r} is not implemented")
        result = impl(ctx, node, args)
        if isinstance(result, InstantVector):
            result = merge_same_labels(result)
        return result

    def _timestamp(self, node: Call, ctx: EvalContext) -> Value:
        arg = node.args[0]
        while isinstance(arg, ParenExpr):
            arg = arg.expr
        if isinstance(arg, VectorSelector):
            vec, sample_ts = self.select_instant(arg, ctx)
            values = sample_ts.astype(np.float64) / 1000.0
        else:
            val = self.eval(arg, ctx)
            if not isinstance(val, InstantVector):
                raise EvalError("timestamp() expects an instant vector")
            vec = val
            values = np.broadcast_to(ctx.times.astype(np.float64) / 1000.0, vec.values.shape)
        return InstantVector(
            list(vec.labels),
            np.where(vec.present, values, 0.0),
            vec.present,
            np.ones(vec.num_series, dtype=bool),
        )

    # -- time references ---------------------------------------------------------------

    def duration_ms(self, expr: Expr) -> int:
        return to_ms(self.duration_seconds(expr))

    def duration_seconds(self, expr: Expr) -> float:
        """Resolve a duration expression (seconds)."""
        b = self._bounds
        if isinstance(expr, NumberLiteral):
            return expr.value
        if isinstance(expr, ParenExpr):
            return self.duration_seconds(expr.expr)
        if isinstance(expr, UnaryExpr):
            v = self.duration_seconds(expr.expr)
            return -v if expr.op == "-" else v
        if isinstance(expr, Call):
            if expr.func == "step":
                return b.step_ms / 1000.0 if b.end_ms > b.start_ms else 0.0
            if expr.func == "range":
                return (b.end_ms - b.start_ms) / 1000.0
            if expr.func == "start":
                return b.start_ms / 1000.0
            if expr.func == "end":
                return b.end_ms / 1000.0
            if expr.func in ("min_of", "max_of"):
                vals = [self.duration_seconds(a) for a in expr.args]
                return min(vals) if expr.func == "min_of" else max(vals)
        if isinstance(expr, BinaryExpr):
            a = self.duration_seconds(expr.lhs)
            c = self.duration_seconds(expr.rhs)
            return _duration_arith(expr.op, a, c)
        raise EvalError("invalid duration expression")

    def at_ms(self, at: AtModifier) -> int:
        if at.kind is AtKind.START:
            return self._bounds.start_ms
        if at.kind is AtKind.END:
            return self._bounds.end_ms
        return to_ms(at.timestamp)

    def ref_times(self, ctx: EvalContext, at: AtModifier | None, offset: Expr | None) -> I64:
        """Each step's reference time: the step (or ``@``) time minus the offset."""
        off = self.duration_ms(offset) if offset is not None else 0
        if at is not None:
            return np.full(ctx.num_steps, self.at_ms(at) - off, dtype=np.int64)
        return ctx.times - off

    # -- selectors ---------------------------------------------------------------------

    def _storage_warnings(self, q: object) -> None:
        """A querier that answered with part of the data (a merge over stores
        with one down) says so in ``warnings``; the API answer carries them."""
        for message in getattr(q, "warnings", ()):
            self.annotations.warn(message)

    def select_instant(self, node: VectorSelector, ctx: EvalContext) -> tuple[InstantVector, I64]:
        """The selector's vector and, per (series, step), the chosen sample's timestamp."""
        refs = self.ref_times(ctx, node.at, node.offset)
        steps = refs.size
        if steps == 0:
            return InstantVector.empty(0), np.zeros((0, 0), dtype=np.int64)
        lb = self._lookback
        after = lb if node.smoothed else 0
        q = self._queryable.querier(int(refs.min()) - lb + 1, int(refs.max()) + after)
        try:
            found = q.select(list(node.matchers))
        finally:
            q.close()
        self._storage_warnings(q)
        labels: list[Labels] = []
        rows_v: list[F64] = []
        rows_p: list[BOOL] = []
        rows_t: list[I64] = []
        for s in found:
            if s.timestamps.size == 0:
                continue
            idx = np.searchsorted(s.timestamps, refs, side="right") - 1
            ok = idx >= 0
            idxc = np.maximum(idx, 0)
            ts = s.timestamps[idxc]
            vals = s.values[idxc]
            ok &= (ts > refs - lb) & ~stale_mask(vals)
            if node.smoothed:
                vals = _smooth(s.timestamps, s.values, idx, refs, lb, vals)
            if not ok.any():
                continue
            labels.append(s.labels)
            rows_v.append(np.where(ok, vals, 0.0))
            rows_p.append(ok)
            rows_t.append(ts)
        if not labels:
            return InstantVector.empty(steps), np.zeros((0, steps), dtype=np.int64)
        vec = InstantVector(labels, np.vstack(rows_v), np.vstack(rows_p))
        self._check_samples(int(vec.present.sum()))
        return vec, np.vstack(rows_t)

    def select_range(self, node: MatrixSelector, ctx: EvalContext) -> WindowedRangeVector:
        vs = node.vector
        refs = self.ref_times(ctx, vs.at, vs.offset)
        range_ms = self.duration_ms(node.range)
        steps = refs.size
        series: list[RangeSeries] = []
        los: list[I64] = []
        his: list[I64] = []
        lb = self._lookback
        # anchored/smoothed windows also take the sample before the window start
        # (and smoothed the one after its end), within the lookback delta
        before = lb if (vs.anchored or vs.smoothed) else 0
        after = lb if vs.smoothed else 0
        if steps:
            q = self._queryable.querier(
                int(refs.min()) - range_ms - before + 1, int(refs.max()) + after
            )
            try:
                found = q.select(list(vs.matchers))
            finally:
                q.close()
            self._storage_warnings(q)
            fresh = [_without_stale(s.timestamps, s.values) for s in found]
            grid = None if (before or after) else grid_window_bounds(
                [ts for ts, _ in fresh], refs, range_ms
            )  # fmt: skip
            if grid is not None:
                rows = np.flatnonzero((grid[1] > grid[0]).any(axis=1))
                picked = [RangeSeries(found[i].labels, *fresh[i]) for i in rows.tolist()]
                rv = WindowedRangeVector(
                    picked, grid[0][rows], grid[1][rows], range_ms,
                    np.zeros(len(picked), dtype=bool), ends=refs,
                )  # fmt: skip
                rv.anchored = vs.anchored
                rv.smoothed = vs.smoothed
                return rv
            for s, (ts, vals) in zip(found, fresh, strict=True):
                starts = refs - range_ms
                lo = np.searchsorted(ts, starts, side="right").astype(np.int64)
                hi = np.searchsorted(ts, refs, side="right").astype(np.int64)
                if before:
                    prev = np.maximum(lo - 1, 0)
                    lo = np.where((lo > 0) & (ts[prev] > starts - before), lo - 1, lo)
                if after:
                    nxt = np.minimum(hi, ts.size - 1)
                    hi = np.where((hi < ts.size) & (ts[nxt] <= refs + after), hi + 1, hi)
                if not (hi > lo).any():
                    continue
                series.append(RangeSeries(s.labels, ts, vals))
                los.append(lo)
                his.append(hi)
        rv = _range_vector(series, los, his, range_ms, refs, None)
        rv.anchored = vs.anchored
        rv.smoothed = vs.smoothed
        return rv

    def subquery(self, node: SubqueryExpr, ctx: EvalContext) -> WindowedRangeVector:
        refs = self.ref_times(ctx, node.at, node.offset)
        range_ms = self.duration_ms(node.range)
        step = self.duration_ms(node.step) if node.step is not None else self._default_substep
        if step <= 0:
            raise EvalError("subquery step must be positive")
        if refs.size == 0:
            return _range_vector([], [], [], range_ms, refs, None)
        # first multiple of the step strictly after the earliest window start
        inner_start = ((int(refs.min()) - range_ms) // step + 1) * step
        inner_end = int(refs.max())
        if inner_start > inner_end:
            return _range_vector([], [], [], range_ms, refs, None)
        inner_end = inner_start + (inner_end - inner_start) // step * step
        child = self.context(inner_start, inner_end, step)
        inner = self.eval(node.expr, child)
        if not isinstance(inner, InstantVector):
            raise EvalError("subquery is only allowed on instant vector")
        grid = child.times
        series: list[RangeSeries] = []
        los: list[I64] = []
        his: list[I64] = []
        keep_rows: list[int] = []
        for i, labels in enumerate(inner.labels):
            mask = inner.present[i]
            ts = grid[mask]
            lo = np.searchsorted(ts, refs - range_ms, side="right").astype(np.int64)
            hi = np.searchsorted(ts, refs, side="right").astype(np.int64)
            if not (hi > lo).any():
                continue
            series.append(RangeSeries(labels, ts, inner.values[i][mask]))
            los.append(lo)
            his.append(hi)
            keep_rows.append(i)
        drop = inner.drop_name[np.asarray(keep_rows, dtype=np.int64)]
        return _range_vector(series, los, his, range_ms, refs, drop)

    # -- limits ------------------------------------------------------------------------

    def _check_samples(self, n: int) -> None:
        if n > self._max_samples:
            raise TooManySamplesError()

    def _check_window_samples(self, args: list[Value]) -> None:
        for a in args:
            if isinstance(a, RangeVector) and a.lo.size:
                per_step = (a.hi - a.lo).sum(axis=0)
                self._check_samples(int(per_step.max()))


def _smooth(ts: I64, values: F64, idx: I64, refs: I64, lookback: int, picked: F64) -> F64:
    """A ``smoothed`` instant selector: interpolate linearly between the sample
    at or before each reference time and the next one (within the lookback)."""
    nxt = np.minimum(idx + 1, ts.size - 1)
    cur = np.maximum(idx, 0)
    use = (
        (idx >= 0) & (idx + 1 < ts.size) & (ts[cur] < refs) & (ts[nxt] <= refs + lookback)
        & ~stale_mask(values[nxt])
    )  # fmt: skip
    with np.errstate(all="ignore"):
        t1 = ts[cur].astype(np.float64)
        frac = (refs - t1) / (ts[nxt].astype(np.float64) - t1)
        interp = values[cur] + (values[nxt] - values[cur]) * frac
    return np.where(use, interp, picked)


def _check_extended_modifiers(node: Call) -> None:
    from lab.server.promql.range_extended import ANCHORED_FUNCTIONS, SMOOTHED_FUNCTIONS

    for a in node.args:
        if not isinstance(a, MatrixSelector):
            continue
        if a.vector.smoothed and node.func not in SMOOTHED_FUNCTIONS:
            raise EvalError(
                "smoothed modifier can only be used with: "
                f"{', '.join(SMOOTHED_FUNCTIONS)} - not with {node.func}"
            )
        if a.vector.anchored and node.func not in ANCHORED_FUNCTIONS:
            raise EvalError(
                "anchored modifier can only be used with: "
                f"{', '.join(ANCHORED_FUNCTIONS)} - not with {node.func}"
            )


def _without_stale(ts: I64, vals: F64) -> tuple[I64, F64]:
    keep = ~stale_mask(vals)
    return ts[keep], vals[keep]


def _range_vector(
    series: list[RangeSeries],
    los: list[I64],
    his: list[I64],
    range_ms: int,
    refs: I64,
    drop: BOOL | None,
) -> WindowedRangeVector:
    steps = refs.size
    lo = np.vstack(los) if los else np.zeros((0, steps), dtype=np.int64)
    hi = np.vstack(his) if his else np.zeros((0, steps), dtype=np.int64)
    drop_name = drop if drop is not None else np.zeros(len(series), dtype=bool)
    return WindowedRangeVector(series, lo, hi, range_ms, drop_name, ends=refs)


def _duration_arith(op: str, a: float, b: float) -> float:
    ops: dict[str, Callable[[float, float], float]] = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y if y != 0 else float("inf"),
        "%": lambda x, y: float(np.fmod(x, y)) if y != 0 else float("nan"),
        "^": lambda x, y: x**y,
    }
    if op not in ops:
        raise EvalError(f"invalid operator {op!r} in duration expression")
    return ops[op](a, b)


def is_step_invariant(node: Expr) -> bool:
    """True when the node's value is the same at every step (upstream wraps
    such subtrees in a StepInvariantExpr)."""
    if isinstance(node, NumberLiteral | StringLiteral):
        return True
    if isinstance(node, VectorSelector):
        return node.at is not None
    if isinstance(node, MatrixSelector):
        return node.vector.at is not None
    if isinstance(node, SubqueryExpr):
        return node.at is not None
    if isinstance(node, ParenExpr | UnaryExpr):
        return is_step_invariant(node.expr)
    if isinstance(node, Call):
        if node.func in AT_UNSAFE_FUNCTIONS:
            return False
        return all(is_step_invariant(a) for a in node.args)
    if isinstance(node, BinaryExpr):
        return is_step_invariant(node.lhs) and is_step_invariant(node.rhs)
    if isinstance(node, AggregateExpr):
        return is_step_invariant(node.expr) and (
            node.param is None or is_step_invariant(node.param)
        )
    return False


def broadcast(val: Value, steps: int) -> Value:
    """Repeat a single-step value over ``steps`` steps."""
    if isinstance(val, Scalar):
        return Scalar(np.repeat(val.values[:1], steps))
    if isinstance(val, InstantVector):
        return InstantVector(
            list(val.labels),
            np.repeat(val.values[:, :1], steps, axis=1),
            np.repeat(val.present[:, :1], steps, axis=1),
            val.drop_name,
        )
    if isinstance(val, WindowedRangeVector):
        return WindowedRangeVector(
            val.series,
            np.repeat(val.lo[:, :1], steps, axis=1),
            np.repeat(val.hi[:, :1], steps, axis=1),
            val.range_ms,
            val.drop_name,
            ends=np.repeat(val.ends[:1], steps),
        )
    if isinstance(val, RangeVector):
        return RangeVector(
            val.series,
            np.repeat(val.lo[:, :1], steps, axis=1),
            np.repeat(val.hi[:, :1], steps, axis=1),
            val.range_ms,
            val.drop_name,
        )
    return val


def merge_same_labels(vec: InstantVector) -> InstantVector:
    """Series that share a label set become one; a step where two of them both
    have a sample is upstream's duplicate-labelset error."""
    if vec.num_series < 2 or len(set(vec.labels)) == vec.num_series:
        return vec
    index: dict[Labels, int] = {}
    labels: list[Labels] = []
    values: list[F64] = []
    present: list[BOOL] = []
    drop: list[bool] = []
    for i, lab in enumerate(vec.labels):
        j = index.get(lab)
        if j is None:
            index[lab] = len(labels)
            labels.append(lab)
            values.append(vec.values[i].copy())
            present.append(vec.present[i].copy())
            drop.append(bool(vec.drop_name[i]))
            continue
        if (present[j] & vec.present[i]).any():
            raise EvalError(DUPLICATE_LABELSET)
        values[j] = np.where(vec.present[i], vec.values[i], values[j])
        present[j] = present[j] | vec.present[i]
    return InstantVector(labels, np.vstack(values), np.vstack(present), np.array(drop))


def finalize_names(vec: InstantVector) -> InstantVector:
    """Apply the delayed ``__name__`` removal. Series that end up with the same
    labels are merged when they never have a sample at the same step (upstream
    does the same for range results); otherwise it is the duplicate-labelset error."""
    if not vec.drop_name.any():
        labels = list(vec.labels)
    else:
        labels = [
            drop_metric_name(lab) if d else lab
            for lab, d in zip(vec.labels, vec.drop_name, strict=True)
        ]
    out = InstantVector(labels, vec.values, vec.present, np.zeros(len(labels), dtype=bool))
    return merge_same_labels(out)
