"""Functions over range vectors (``rate``, ``*_over_time``, ...), for all steps at once.

Every function receives a ``RangeVector`` whose windows are given per step as
``lo``/``hi`` indices into each series' samples. The windows of all series are
first flattened into one array of samples with global ``(S, T)`` window bounds
(``Flat``), and each function reduces those windows with whole-array numpy
operations: prefix sums (counts, resets), ``reduceat`` over interleaved bounds
(min/max), gathers at ``lo``/``hi - 1`` (first/last, rate's end points), and the
Kahan helpers of ``kahan.py`` where upstream sums with compensation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab.model.labels import METRIC_NAME, Labels
from lab.model.matcher import MatchType
from lab.server.promql import kahan
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import Call, Expr
from lab.server.promql.range_windows import (
    Flat,
    FunctionImpl,
    WindowedRangeVector,
    flatten,
    pos_suffix,
    range_arg,
    scalar_arg,
    window_ends,
    window_result,
)
from lab.server.promql.values import (
    BOOL,
    F64,
    I64,
    InstantVector,
    RangeVector,
    Value,
)

# -- rate family ------------------------------------------------------------------------


def _extrapolated(
    ctx: EvalContext, call: Call, args: list[Value], is_counter: bool, is_rate: bool
) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    if isinstance(rv, WindowedRangeVector) and (rv.anchored or rv.smoothed):
        from lab.server.promql.range_extended import extended_rate

        ext, ext_present = extended_rate(
            f.ts, f.vals, f.lo, f.hi, window_ends(ctx, rv), rv.range_ms, rv.smoothed,
            is_counter, is_rate,
        )  # fmt: skip
        return window_result(rv, ext, ext_present)
    n = f.n
    present = n >= 2
    last_i = np.maximum(f.hi - 1, 0)
    first_i = f.lo
    first_v = f.vals[first_i]
    last_v = f.vals[last_i]
    first_t = f.ts[first_i].astype(np.float64)
    last_t = f.ts[last_i].astype(np.float64)
    with np.errstate(all="ignore"):
        result = last_v - first_v
        if is_counter:
            result = add_resets(f, result)
        ends = window_ends(ctx, rv).astype(np.float64)[None, :]
        range_s = rv.range_ms / 1000.0
        start = ends - rv.range_ms
        dur_start = (first_t - start) / 1000.0
        dur_end = (ends - last_t) / 1000.0
        sampled = (last_t - first_t) / 1000.0
        avg_gap = sampled / (n - 1).astype(np.float64)
        threshold = avg_gap * 1.1
        dur_start = np.where(dur_start >= threshold, avg_gap / 2, dur_start)
        if is_counter:
            to_zero = np.where(
                (result > 0) & (first_v >= 0), sampled * (first_v / result), dur_start
            )
            dur_start = np.where(to_zero < dur_start, to_zero, dur_start)
        dur_end = np.where(dur_end >= threshold, avg_gap / 2, dur_end)
        factor = (sampled + dur_start + dur_end) / sampled
        if is_rate:
            factor = factor / range_s
        result = result * factor
    out = window_result(rv, result, present)
    if is_counter and call.func in ("rate", "increase"):
        _non_counter_info(ctx, call, rv, present)
    return out


def add_resets(f: Flat, result: F64) -> F64:
    """Upstream's counter-reset correction: for each drop (sample j below
    sample j-1) inside a window, in sample order, ``result += value[j-1]``.

    The same float additions in the same order (a prefix-sum difference would
    round differently): the k-th drop of every window that has one is added
    at once, k = 0, 1, ...; the set of windows still adding shrinks, so the
    work is the number of drops in windows, not windows x longest window."""
    v = f.vals
    is_drop = np.zeros(v.size, dtype=bool)
    np.less(v[1:], v[:-1], out=is_drop[1:])  # NaN never drops
    drops = np.flatnonzero(is_drop)
    if drops.size == 0:
        return result
    prev = v[drops - 1]
    # before[i]: drops j < i. A window's drops are those with lo + 1 <= j <=
    # hi - 1 (the padding slot's j = N never is): drops[first : first + count]
    before = np.zeros(v.size + 1, dtype=np.int64)
    np.cumsum(is_drop, dtype=np.int64, out=before[1:])
    first = before[f.lo.ravel() + 1]
    count = before[f.hi.ravel()] - first
    out = result.ravel().copy()
    live = np.flatnonzero(count > 0)
    k = 0
    with np.errstate(all="ignore"):
        while live.size:
            out[live] += prev[first[live] + k]
            k += 1
            live = live[count[live] > k]
    return out.reshape(result.shape)


def _non_counter_info(ctx: EvalContext, call: Call, rv: RangeVector, present: BOOL) -> None:
    for i, s in enumerate(rv.series):
        name = s.labels.name
        if not name or not present[i].any():
            continue
        if not name.endswith(("_total", "_sum", "_count", "_bucket")):
            ctx.annotations.info(
                "PromQL info: metric might not be a counter, name does not end in "
                f'_total/_sum/_count/_bucket: "{name}"' + pos_suffix(call.args[0])
            )


def _rate(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    return _extrapolated(ctx, call, args, True, True)


def _increase(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    return _extrapolated(ctx, call, args, True, False)


def _delta(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    return _extrapolated(ctx, call, args, False, False)


def _instant_value(args: list[Value], is_rate: bool) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    present = f.n >= 2
    last_i = np.maximum(f.hi - 1, 0)
    prev_i = np.maximum(f.hi - 2, 0)
    lv, pv = f.vals[last_i], f.vals[prev_i]
    with np.errstate(all="ignore"):
        res = lv - pv
        if is_rate:
            res = np.where(lv < pv, lv, res)
        interval = (f.ts[last_i] - f.ts[prev_i]).astype(np.float64)
        present = present & (interval != 0)
        if is_rate:
            res = res / (interval / 1000.0)
    return window_result(rv, res, present)


def _irate(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    return _instant_value(args, True)


def _idelta(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    return _instant_value(args, False)


# -- regression ---------------------------------------------------------------------------


def _linear_regression(f: Flat, intercept_ms: I64) -> tuple[F64, F64]:
    """Upstream's least squares with Kahan sums; ``intercept_ms`` (S, T)."""
    lo = f.lo.ravel()
    hi = f.hi.ravel()
    if lo.size == 0:
        return np.zeros(f.lo.shape), np.zeros(f.lo.shape)
    # the padding slot is never inside a window
    sx, sy, sxy, sx2 = kahan.regression_sums(f.ts[:-1], f.vals[:-1], lo, hi, intercept_ms)
    init_y = f.vals[lo]
    # upstream compares each value with the first; a chain of equal neighbours
    # is the same test (NaN differs from everything either way)
    v = f.vals
    differs = np.zeros(v.size, dtype=bool)
    differs[1:] = v[1:] != v[:-1]
    const_y = _pair_count(f, differs).ravel() == 0
    with np.errstate(all="ignore"):
        nn = (hi - lo).astype(np.float64)
        cov = sxy - sx * sy / nn
        var = sx2 - sx * sx / nn
        slope = cov / var
        intercept = sy / nn - slope * sx / nn
        inf_y = np.isinf(init_y)
        slope = np.where(const_y, np.where(inf_y, np.nan, 0.0), slope)
        intercept = np.where(const_y, np.where(inf_y, np.nan, init_y), intercept)
    return slope.reshape(f.lo.shape), intercept.reshape(f.lo.shape)


def _deriv(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    slope, _ = _linear_regression(f, f.ts[f.lo])
    return window_result(rv, slope, f.n >= 2)


def _predict_linear(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    duration = scalar_arg(args, 1, f.lo.shape[1])
    icpt = np.broadcast_to(ctx.times[None, :], f.lo.shape).astype(np.int64)
    slope, intercept = _linear_regression(f, icpt)
    with np.errstate(all="ignore"):
        res = intercept + slope * duration[None, :]
    return window_result(rv, res, f.n >= 2)


# -- counting ---------------------------------------------------------------------------


def _pair_count(f: Flat, flags: BOOL) -> I64:
    """Number of flagged adjacent pairs (i-1, i) inside each window."""
    # prefix[i] = flagged pairs among 1..i-1; the padding slot's flag is ignored
    prefix = np.empty(flags.size + 1, dtype=np.int64)
    prefix[0] = 0
    np.cumsum(flags[:-1], dtype=np.int64, out=prefix[1:-1])
    prefix[-1] = prefix[-2]
    after_first = f.lo + 1
    return prefix[np.maximum(f.hi, after_first)] - prefix[after_first]


def _counted(ctx: EvalContext, rv: RangeVector, f: Flat) -> BOOL:
    """Windows with a point; an anchored window also needs a sample after its
    start (the anchor alone does not count)."""
    present = f.n >= 1
    if isinstance(rv, WindowedRangeVector) and rv.anchored:
        start = window_ends(ctx, rv)[None, :] - rv.range_ms
        present &= f.ts[np.maximum(f.hi - 1, 0)] > start
    return present


def _changes(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    v = f.vals
    flags = np.zeros(v.size, dtype=bool)
    flags[1:] = ~((v[1:] == v[:-1]) | (np.isnan(v[1:]) & np.isnan(v[:-1])))
    return window_result(rv, _pair_count(f, flags).astype(np.float64), _counted(ctx, rv, f))


def _resets(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    v = f.vals
    flags = np.zeros(v.size, dtype=bool)
    flags[1:] = v[1:] < v[:-1]
    return window_result(rv, _pair_count(f, flags).astype(np.float64), _counted(ctx, rv, f))


# -- *_over_time ------------------------------------------------------------------------


def _reduce_windows(ufunc: np.ufunc, f: Flat) -> F64:
    """``ufunc.reduce`` over each window, via reduceat on interleaved bounds."""
    lo = f.lo.ravel()
    hi = f.hi.ravel()
    if lo.size == 0:
        return np.zeros(f.lo.shape)
    last = f.vals.size - 1  # the padding slot: a valid index for empty windows
    idx = np.empty(2 * lo.size, dtype=np.int64)
    idx[0::2] = np.minimum(lo, last)
    idx[1::2] = np.minimum(hi, last)
    with np.errstate(all="ignore"):
        red = ufunc.reduceat(f.vals, idx)[0::2]
    return np.asarray(red, dtype=np.float64).reshape(f.lo.shape)


def _over_time(reducer: Callable[[Flat], F64], keep_name: bool = False) -> FunctionImpl:
    def impl(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
        rv = range_arg(args)
        f = flatten(rv)
        return window_result(rv, reducer(f), f.n >= 1, keep_name)

    return impl


def _max(f: Flat) -> F64:
    return _reduce_windows(np.fmax, f)


def _min(f: Flat) -> F64:
    return _reduce_windows(np.fmin, f)


def _sum(f: Flat) -> F64:
    return kahan.windowed_sum(f.vals, f.lo, f.hi).reshape(f.lo.shape)


def _avg(f: Flat) -> F64:
    n = f.n
    res = kahan.windowed_mean(f.vals, np.where(n > 0, f.lo, 0), np.where(n > 0, f.hi, 1))
    return res.reshape(f.lo.shape)


def _count(f: Flat) -> F64:
    return f.n.astype(np.float64)


def _last(f: Flat) -> F64:
    return f.vals[np.maximum(f.hi - 1, 0)]


def _first(f: Flat) -> F64:
    return f.vals[f.lo]


def _ts_last(f: Flat) -> F64:
    return f.ts[np.maximum(f.hi - 1, 0)].astype(np.float64) / 1000.0


def _ts_first(f: Flat) -> F64:
    return f.ts[f.lo].astype(np.float64) / 1000.0


def _ts_of_extreme(f: Flat, want_max: bool) -> F64:
    """Timestamp of the last sample equal to the window's max (min); NaN values
    are skipped unless the window holds nothing else (upstream's >= / <=)."""
    ext = _max(f) if want_max else _min(f)
    lo = f.lo.ravel()
    n = f.n.ravel()
    maxn = int(n.max()) if n.size else 0
    k = np.arange(maxn)
    idx = np.minimum(lo[:, None] + k[None, :], f.vals.size - 1)
    valid = k[None, :] < n[:, None]
    e = ext.ravel()[:, None]
    hit = valid & ((f.vals[idx] == e) | np.isnan(e))
    last_k = np.where(hit.any(axis=1), maxn - 1 - np.argmax(hit[:, ::-1], axis=1), 0)
    ts = f.ts[np.minimum(lo + last_k, f.vals.size - 1)].astype(np.float64) / 1000.0
    return ts.reshape(f.lo.shape)


def _ts_max(f: Flat) -> F64:
    return _ts_of_extreme(f, True)


def _ts_min(f: Flat) -> F64:
    return _ts_of_extreme(f, False)


def _present(f: Flat) -> F64:
    return np.ones(f.lo.shape)


def _stdvar(f: Flat) -> F64:
    n = f.n
    res = kahan.windowed_variance(f.vals, np.where(n > 0, f.lo, 0), np.where(n > 0, f.hi, 1))
    return res.reshape(f.lo.shape)


def _stddev(f: Flat) -> F64:
    with np.errstate(all="ignore"):
        return np.sqrt(_stdvar(f))


def _sorted_windows(f: Flat) -> tuple[F64, I64]:
    """Each window's values sorted (NaN first, as Go's sort puts them), as a
    padded (W, maxn) matrix (padding +Inf, after the values), and the lengths.

    numpy sorts NaN last, so each row is sorted and then rotated right by its
    NaN count. Equal values keep their order (a stable sort) where that shows:
    only -0.0 and 0.0 compare equal with different bits, so without a -0.0 the
    much faster unstable (SIMD) sort gives the same bits."""
    lo = f.lo.ravel()
    n = f.n.ravel()
    maxn = int(n.max()) if n.size else 0
    k = np.arange(maxn)
    idx = np.minimum(lo[:, None] + k[None, :], f.vals.size - 1)
    vals = f.vals[idx]
    vals[k[None, :] >= n[:, None]] = np.inf  # stable: after any real +Inf
    nans = np.count_nonzero(np.isnan(vals), axis=1)
    signed_zero = bool(np.any(np.signbit(f.vals) & (f.vals == 0)))
    vals.sort(axis=-1, kind="stable" if signed_zero else "quicksort")
    if nans.any():
        vals = np.take_along_axis(vals, (k[None, :] - nans[:, None]) % maxn, axis=-1)
    return vals, n


def _quantile_of_sorted(q: F64, vals: F64, n: I64) -> F64:
    """Upstream's quantile with linear interpolation; ``q`` per window."""
    nf = n.astype(np.float64)
    with np.errstate(all="ignore"):
        rank = q * (nf - 1)
        lower = np.maximum(0.0, np.floor(rank))
        upper = np.minimum(nf - 1, lower + 1)
        weight = rank - np.floor(rank)
        li = np.clip(np.nan_to_num(lower), 0, max(vals.shape[1] - 1, 0)).astype(np.int64)
        ui = np.clip(np.nan_to_num(upper), 0, max(vals.shape[1] - 1, 0)).astype(np.int64)
        rows = np.arange(vals.shape[0])
        if vals.shape[1] == 0:
            return np.full(q.shape, np.nan)
        res = vals[rows, li] * (1 - weight) + vals[rows, ui] * weight
        res = np.where(q < 0, -np.inf, np.where(q > 1, np.inf, res))
        res = np.where(np.isnan(q) | (n == 0), np.nan, res)
    return res


def _quantile_over_time(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    q = scalar_arg(args, 0, ctx.num_steps)
    rv = range_arg(args[1:])
    f = flatten(rv)
    vals, n = _sorted_windows(f)
    qq = np.broadcast_to(q[None, :], f.lo.shape).ravel()
    res = _quantile_of_sorted(qq, vals, n).reshape(f.lo.shape)
    present = f.n >= 1
    if present.any():
        bad = present.any(axis=0) & ((q < 0) | (q > 1) | np.isnan(q))
        for qv in np.unique(q[bad]):
            ctx.annotations.warn(
                f"PromQL warning: quantile value should be between 0 and 1, got {_fmt(qv)}"
                + pos_suffix(call.args[0])
            )
    return window_result(rv, res, present)


def _fmt(v: float) -> str:
    """Go's ``%g`` for the values that appear in annotations."""
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    text = f"{v:g}"
    return text


def _mad_over_time(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    vals, n = _sorted_windows(f)
    half = np.full(n.shape, 0.5)
    median = _quantile_of_sorted(half, vals, n)
    with np.errstate(all="ignore"):
        dev = np.abs(vals - median[:, None])
    k = np.arange(vals.shape[1])
    pad = k[None, :] >= n[:, None]
    rank = np.where(pad, 2, np.where(np.isnan(dev), 0, 1))
    order = np.lexsort((np.where(rank == 1, dev, 0.0), rank), axis=-1)
    dev = np.take_along_axis(dev, order, axis=-1)
    res = _quantile_of_sorted(half, dev, n)
    # a NaN sample makes the result NaN rather than being silently dropped
    has_nan = (np.isnan(vals) & (k[None, :] < n[:, None])).any(axis=1)
    res = np.where(has_nan, np.nan, res).reshape(f.lo.shape)
    return window_result(rv, res, f.n >= 1)


def absent_labels(expr: Expr) -> Labels:
    """Labels of ``absent(...)``/``absent_over_time(...)``'s output: the equality
    matchers of a selector argument, except ``__name__``; a label named by more
    than one matcher (or by a non-equality one) is left out, as upstream."""
    from lab.server.promql.parser.ast import MatrixSelector, VectorSelector

    if isinstance(expr, MatrixSelector):
        expr = expr.vector
    if not isinstance(expr, VectorSelector):
        return Labels()
    out: dict[str, str] = {}
    seen: set[str] = set()
    for m in expr.matchers:
        if m.name == METRIC_NAME:
            continue
        if m.type is MatchType.EQUAL and m.name not in seen:
            out[m.name] = m.value
            seen.add(m.name)
        else:
            out.pop(m.name, None)
    return Labels.from_pairs(out.items())


def _absent_over_time(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    steps = f.lo.shape[1] if f.lo.ndim == 2 else ctx.num_steps
    if f.n.size and f.lo.shape[0] > 0:
        absent: BOOL = np.asarray(~(f.n >= 1).any(axis=0), dtype=bool)
    else:
        absent = np.ones(steps, dtype=bool)
    if not absent.any():
        return InstantVector.empty(steps)
    labels = absent_labels(call.args[0])
    return InstantVector([labels], np.ones((1, steps)), absent[None, :].copy())


def _double_exponential_smoothing(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    rv = range_arg(args)
    f = flatten(rv)
    present = f.n >= 2
    sf = scalar_arg(args, 1, ctx.num_steps)
    tf = scalar_arg(args, 2, ctx.num_steps)
    used = present.any(axis=0) if present.size else np.zeros(sf.shape, dtype=bool)
    bad_sf = used & ~((sf > 0) & (sf < 1))
    bad_tf = used & ~((tf > 0) & (tf < 1))
    if bad_sf.any():
        got = float(sf[bad_sf][0])
        raise EvalError(f"invalid smoothing factor. Expected: 0 < sf < 1, got: {got:f}")
    if bad_tf.any():
        got = float(tf[bad_tf][0])
        raise EvalError(f"invalid trend factor. Expected: 0 < tf < 1, got: {got:f}")
    lo = f.lo.ravel()
    n = f.n.ravel()
    w = lo.size
    last = f.vals.size - 1
    sfw = np.broadcast_to(sf[None, :], f.lo.shape).ravel()
    tfw = np.broadcast_to(tf[None, :], f.lo.shape).ravel()
    maxn = int(n.max()) if w else 0
    s0 = np.zeros(w)
    s1 = f.vals[np.minimum(lo, last)]
    b = f.vals[np.minimum(lo + 1, last)] - s1
    with np.errstate(all="ignore"):
        for i in range(1, maxn):
            act = n > i
            x = sfw * f.vals[np.minimum(lo + i, last)]
            nb = b if i == 1 else tfw * (s1 - s0) + (1 - tfw) * b
            y = (1 - sfw) * (s1 + nb)
            b = np.where(act, nb, b)
            s0, s1 = np.where(act, s1, s0), np.where(act, x + y, s1)
    return window_result(rv, s1.reshape(f.lo.shape), present)


RANGE_FUNCTIONS: dict[str, FunctionImpl] = {
    "rate": _rate,
    "increase": _increase,
    "delta": _delta,
    "irate": _irate,
    "idelta": _idelta,
    "deriv": _deriv,
    "predict_linear": _predict_linear,
    "changes": _changes,
    "resets": _resets,
    "avg_over_time": _over_time(_avg),
    "sum_over_time": _over_time(_sum),
    "min_over_time": _over_time(_min),
    "max_over_time": _over_time(_max),
    "count_over_time": _over_time(_count),
    "last_over_time": _over_time(_last, keep_name=True),
    "first_over_time": _over_time(_first, keep_name=True),
    "ts_of_last_over_time": _over_time(_ts_last),
    "ts_of_first_over_time": _over_time(_ts_first),
    "ts_of_max_over_time": _over_time(_ts_max),
    "ts_of_min_over_time": _over_time(_ts_min),
    "present_over_time": _over_time(_present),
    "stddev_over_time": _over_time(_stddev),
    "stdvar_over_time": _over_time(_stdvar),
    "quantile_over_time": _quantile_over_time,
    "mad_over_time": _mad_over_time,
    "absent_over_time": _absent_over_time,
    "double_exponential_smoothing": _double_exponential_smoothing,
}
