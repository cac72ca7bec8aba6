"""Classic-histogram functions: ``histogram_quantile``, ``histogram_quantiles`` and
``histogram_fraction`` over ``le``-labelled bucket series.

Series are grouped once by their labels without ``le``; within a group the
buckets are ordered by upper bound once. Per step only the buckets with a
sample take part, so the bucket walk (coalescing equal bounds, upstream's
monotonicity fix, the rank search) runs as a loop over *buckets*, vectorised
over steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lab.model.gofloat import format_g, format_openmetrics
from lab.model.gostr import go_quote
from lab.model.labels import METRIC_NAME, Labels
from lab.server.promql.context import EvalContext
from lab.server.promql.function_args import FunctionImpl, scalar_arg, string_arg, vector_arg
from lab.server.promql.opsupport import info, warn
from lab.server.promql.parser.ast import Call, Expr
from lab.server.promql.values import BOOL, F64, InstantVector, Value

BUCKET_LABEL = "le"
_SMALL_DELTA = 1e-12
_MIN_NORMAL = 2.2250738585072014e-308


def parse_go_float(s: str) -> float | None:
    """``strconv.ParseFloat(s, 64)``, or None where Go would fail."""
    if not s or s != s.strip() or "_" in s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    try:
        return float.fromhex(s) if "x" in s.lower() and "p" in s.lower() else None
    except ValueError:
        return None


@dataclass(slots=True)
class BucketGroup:
    """One classic histogram: distinct upper bounds, per-step counts and presence."""

    labels: Labels
    bounds: F64  # (m,) ascending, equal bounds coalesced
    counts: F64  # (m, T)
    present: BOOL  # (m, T)


def bucket_groups(ctx: EvalContext, vec: InstantVector, arg: Expr) -> list[BucketGroup]:
    steps = vec.values.shape[1] if vec.num_series else ctx.num_steps
    members: dict[Labels, list[tuple[float, int]]] = {}
    for i, lbl in enumerate(vec.labels):
        if not vec.present[i].any():
            continue
        raw = lbl.get(BUCKET_LABEL)
        bound = parse_go_float(raw)
        if bound is None:
            warn(
                ctx,
                arg.pos,
                f"bucket label {go_quote(BUCKET_LABEL)} is missing or has a malformed value of "
                f"{go_quote(raw)} for metric name {go_quote(lbl.get(METRIC_NAME))}",
            )
            continue
        members.setdefault(lbl.without(BUCKET_LABEL), []).append((bound, i))
    groups: list[BucketGroup] = []
    for key, items in members.items():
        bounds = np.array(sorted({b for b, _ in items}))
        where = {b: k for k, b in enumerate(bounds.tolist())}
        counts = np.zeros((len(bounds), steps))
        present = np.zeros((len(bounds), steps), dtype=bool)
        for b, i in items:
            k = where[b]
            p = vec.present[i]
            # Equal bounds (le="0.2" and le="2e-1") are one bucket: counts add up.
            counts[k] += np.where(p, vec.values[i], 0.0)
            present[k] |= p
        groups.append(BucketGroup(key, bounds, counts, present))
    return groups


def _almost_equal(a: F64, b: F64, eps: float) -> BOOL:
    with np.errstate(all="ignore"):
        abs_sum = np.abs(a) + np.abs(b)
        diff = np.abs(a - b)
        tiny = (a == 0) | (b == 0) | (abs_sum < _MIN_NORMAL)
        rel = diff / np.minimum(abs_sum, np.finfo(np.float64).max) < eps
        close = np.where(tiny, diff < eps * _MIN_NORMAL, rel)
        return np.asarray((a == b) | (np.isnan(a) & np.isnan(b)) | close, dtype=bool)


def _make_monotonic(g: BucketGroup) -> tuple[F64, BOOL]:
    """Upstream's ensureMonotonicAndIgnoreSmallDeltas over each step's present
    buckets: returns fixed counts and, per step, whether a decrease was forced."""
    counts = g.counts.copy()
    steps = counts.shape[1]
    prev = np.zeros(steps)
    seen = np.zeros(steps, dtype=bool)
    forced = np.zeros(steps, dtype=bool)
    for i in range(counts.shape[0]):
        p = g.present[i]
        cur = counts[i]
        start = p & ~seen
        cont = p & seen & (cur != prev)
        small = cont & _almost_equal(prev, cur, _SMALL_DELTA)
        decrease = cont & ~small & (cur < prev)
        counts[i] = np.where(small | decrease, prev, cur)
        forced |= decrease
        prev = np.where(start | (cont & ~small & ~decrease), cur, prev)
        seen |= p
    return counts, forced


def _previous_present(present: BOOL) -> np.ndarray:
    """For bucket i at each step: the index of the previous present bucket, or -1."""
    m = present.shape[0]
    marks = np.where(present, np.arange(m)[:, None], -1)
    cum = np.maximum.accumulate(marks, axis=0)
    out = np.full_like(cum, -1)
    out[1:] = cum[:-1]
    return out


def bucket_quantile(q: F64, g: BucketGroup) -> tuple[F64, BOOL]:
    """Upstream's BucketQuantile for every step; also returns where monotonicity was forced."""
    steps = g.counts.shape[1]
    cols = np.arange(steps)
    counts, forced = _make_monotonic(g)
    m = len(g.bounds)
    present = g.present
    n_present = present.sum(axis=0)
    last = m - 1 - np.argmax(present[::-1], axis=0)  # index of the last present bucket
    has_inf = np.isinf(g.bounds[last]) & (g.bounds[last] > 0) & (n_present > 0)
    prev_idx = _previous_present(present)
    observations = counts[last, cols]
    with np.errstate(all="ignore"):
        rank = q * observations
        idx = np.arange(m)[:, None]
        hit = present & (counts >= rank[None, :]) & (idx < last[None, :])
        b = np.where(hit.any(axis=0), np.argmax(hit, axis=0), last)
        pb = prev_idx[b, cols]
        bucket_end = g.bounds[b]
        before_last = prev_idx[last, cols]
        start = np.where(pb >= 0, g.bounds[np.maximum(pb, 0)], 0.0)
        below = np.where(pb >= 0, counts[np.maximum(pb, 0), cols], 0.0)
        count = counts[b, cols] - below
        value = start + (bucket_end - start) * ((rank - below) / count)
        value = np.where((pb < 0) & (bucket_end <= 0), bucket_end, value)
        value = np.where(b == last, g.bounds[np.maximum(before_last, 0)], value)
    value = np.where((n_present < 2) | (observations == 0), np.nan, value)
    valid = has_inf & ~np.isnan(q) & (q >= 0) & (q <= 1)
    value = np.where(has_inf, value, np.nan)
    value = np.where(q < 0, -np.inf, np.where(q > 1, np.inf, value))
    value = np.where(np.isnan(q), np.nan, value)
    return value, forced & valid


def _warn_quantile(ctx: EvalContext, expr: Expr, q: F64) -> None:
    bad = np.isnan(q) | (q < 0) | (q > 1)
    for value in dict.fromkeys(float(v) for v in q[bad]):
        msg = f"quantile value should be between 0 and 1, got {format_g(value)}"
        warn(ctx, expr.pos, msg)


def _monotonicity_info(ctx: EvalContext, expr: Expr, g: BucketGroup) -> None:
    info(
        ctx,
        expr.pos,
        "input to histogram_quantile needed to be fixed for monotonicity (see "
        "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) "
        f"for metric name {go_quote(g.labels.get(METRIC_NAME))}",
    )


def _assemble(labels: list[Labels], rows: list[F64], pres: list[BOOL], steps: int) -> InstantVector:
    if not labels:
        return InstantVector.empty(steps)
    values = np.vstack(rows)
    present = np.vstack(pres)
    return InstantVector(
        labels, np.where(present, values, 0.0), present, np.ones(len(labels), dtype=bool)
    )


def _histogram_quantile(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    q = scalar_arg(ctx, args, 0)
    vec = vector_arg(args, 1)
    _warn_quantile(ctx, call.args[0], q)
    labels, rows, pres = [], [], []
    for g in bucket_groups(ctx, vec, call.args[1]):
        value, forced = bucket_quantile(q, g)
        if forced.any():
            _monotonicity_info(ctx, call.args[1], g)
        labels.append(g.labels)
        rows.append(value)
        pres.append(np.asarray(g.present.any(axis=0), dtype=bool))
    return _assemble(labels, rows, pres, ctx.num_steps)


def _histogram_quantiles(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    label = string_arg(args, 1)
    qs = [scalar_arg(ctx, args, i) for i in range(2, len(args))]
    for i, q in enumerate(qs):
        _warn_quantile(ctx, call.args[i + 2], q)
    labels, rows, pres = [], [], []
    groups = bucket_groups(ctx, vec, call.args[0])
    for q in qs:
        # The label value names the quantile of the first step (constant in practice).
        text = format_openmetrics(float(q[0])) if q.shape[0] else ""
        for g in groups:
            value, forced = bucket_quantile(q, g)
            if forced.any():
                _monotonicity_info(ctx, call.args[0], g)
            labels.append(g.labels.set(label, text))
            rows.append(value)
            pres.append(np.asarray(g.present.any(axis=0), dtype=bool))
    return _assemble(labels, rows, pres, ctx.num_steps)


def _cumulative_at(x: F64, g: BucketGroup, counts: F64) -> F64:
    """Interpolated cumulative count at ``x`` per step (classic buckets; the
    first bucket starts at 0 when its bound is positive; infinitely wide
    buckets are not interpolated)."""
    steps = counts.shape[1]
    out = np.full(steps, np.nan)
    done = np.zeros(steps, dtype=bool)
    rank = np.zeros(steps)
    lower = np.full(steps, -np.inf)
    first = np.ones(steps, dtype=bool)
    with np.errstate(all="ignore"):
        for i, ub in enumerate(g.bounds.tolist()):
            p = g.present[i]
            cum = counts[i]
            lb = np.where(first, 0.0 if ub > 0 else -np.inf, lower)
            below = p & ~done & (x <= lb)
            out = np.where(below, rank, out)
            done |= below
            inside = p & ~done & (x <= ub)
            interp = rank + (cum - rank) * (x - lb) / (ub - lb)
            val = np.where(np.isinf(lb), cum, rank if math.isinf(ub) else interp)
            out = np.where(inside, val, out)
            done |= inside
            rank = np.where(p, cum, rank)
            lower = np.where(p, ub, lower)
            first &= ~p
    total = rank
    out = np.where(done, out, total)
    out = np.where(x == -np.inf, 0.0, out)
    return np.where(x == np.inf, total, out)


def _histogram_fraction(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    lo = scalar_arg(ctx, args, 0)
    hi = scalar_arg(ctx, args, 1)
    vec = vector_arg(args, 2)
    labels, rows, pres = [], [], []
    for g in bucket_groups(ctx, vec, call.args[2]):
        counts, _ = _make_monotonic(g)
        m = len(g.bounds)
        last = m - 1 - np.argmax(g.present[::-1], axis=0)
        total = counts[last, np.arange(counts.shape[1])]
        has_inf = np.isinf(g.bounds[last]) & (g.bounds[last] > 0)
        with np.errstate(all="ignore"):
            frac = (_cumulative_at(hi, g, counts) - _cumulative_at(lo, g, counts)) / total
        frac = np.where(lo >= hi, 0.0, frac)
        frac = np.where(np.isnan(lo) | np.isnan(hi) | (total == 0) | ~has_inf, np.nan, frac)
        labels.append(g.labels)
        rows.append(frac)
        pres.append(np.asarray(g.present.any(axis=0), dtype=bool))
    return _assemble(labels, rows, pres, ctx.num_steps)


HISTOGRAM_FUNCTIONS: dict[str, FunctionImpl] = {
    "histogram_quantile": _histogram_quantile,
    "histogram_quantiles": _histogram_quantiles,
    "histogram_fraction": _histogram_fraction,
}
