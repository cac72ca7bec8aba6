"""Aggregation operators (``sum``, ``avg``, ``topk``, ``quantile`` ...) for all steps at once.

Series are mapped to groups once (by their ``by``/``without`` label key); each
operator then reduces the (series x steps) arrays per group. Where upstream's
result depends on the order in which samples are folded in (compensated sums,
the mean, Welford's variance), the fold is replayed in input order: one numpy
update per *member rank*, vectorised over all groups and steps, with masks for
the steps at which a member has no sample.
"""

from __future__ import annotations

import numpy as np

from lab.model.gofloat import format_g
from lab.model.labels import METRIC_NAME, Labels
from lab.server.promql.aggregations_select import count_values, select_series
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.kahan import kahan_inc
from lab.server.promql.opsupport import (
    group_ids,
    members_by_rank,
    sorted_groups,
    warn,
)
from lab.server.promql.parser.ast import AggregateExpr
from lab.server.promql.values import F64, I64, InstantVector, Scalar, StringValue, Value

SELECTING = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
_EXACT_LIMIT = float(2**53)


def grouping_key(labels: Labels, grouping: tuple[str, ...], without: bool) -> Labels:
    """The output label set of a series' group (``without`` also drops the name)."""
    if without:
        return labels.without(*grouping, METRIC_NAME)
    return labels.only(*grouping)


def aggregate(
    ctx: EvalContext, node: AggregateExpr, vec: InstantVector, param: Value | None
) -> InstantVector:
    """Evaluate ``node`` over ``vec`` (its already evaluated operand)."""
    op = node.op
    steps = vec.values.shape[1] if vec.num_series else ctx.num_steps
    if op == "count_values":
        if not isinstance(param, StringValue):
            raise EvalError("count_values: expected a string parameter")
        return count_values(node, vec, param.value, steps)
    scalar = _param_values(param, steps) if param is not None else None
    if op in SELECTING:
        assert scalar is not None
        return select_series(ctx, node, vec, scalar, steps)
    if op == "quantile":
        assert scalar is not None
        _check_quantile(ctx, node, scalar)
    if not vec.num_series:
        return InstantVector.empty(steps)

    keys = [grouping_key(lbl, node.grouping, node.without) for lbl in vec.labels]
    ids, uniques = group_ids(keys)
    num_groups = len(uniques)
    order, starts = sorted_groups(ids, num_groups)
    count = np.add.reduceat(vec.present[order].astype(np.int64), starts, axis=0)
    present = count > 0

    if op == "count":
        values: F64 = count.astype(np.float64)
    elif op == "group":
        values = np.ones((num_groups, steps))
    elif op in ("min", "max"):
        values = _min_max(op, vec, order, starts)
    elif op == "sum":
        exact = _exact_sum(vec, order, starts)
        values = exact if exact is not None else _sum(vec, ids, num_groups)
    elif op == "avg":
        values = _avg(vec, ids, num_groups, count)
    elif op in ("stddev", "stdvar"):
        values = _variance(vec, ids, num_groups)
        if op == "stddev":
            values = np.sqrt(values)
    elif op == "quantile":
        assert scalar is not None
        values = _quantile(vec, ids, num_groups, scalar)
    else:
        raise EvalError(f"unknown aggregation operator {op!r}")

    drop = np.zeros(num_groups, dtype=bool)
    np.logical_or.at(drop, ids, vec.drop_name)
    keep = present.any(axis=1)
    values = np.where(present, values, 0.0)
    if keep.all():
        return InstantVector(uniques, values, present, drop)
    rows = np.flatnonzero(keep)
    return InstantVector([uniques[int(i)] for i in rows], values[rows], present[rows], drop[rows])


def _param_values(param: Value, steps: int) -> F64:
    if not isinstance(param, Scalar):
        raise EvalError("expected a scalar parameter")
    vals = np.asarray(param.values, dtype=np.float64)
    if vals.shape[0] != steps:
        vals = np.broadcast_to(vals[:1] if vals.shape[0] else np.array([np.nan]), (steps,))
    return vals


def _check_quantile(ctx: EvalContext, node: AggregateExpr, q: F64) -> None:
    bad = np.isnan(q) | (q < 0) | (q > 1)
    if bad.any():
        assert node.param is not None
        for value in dict.fromkeys(float(v) for v in q[bad]):
            msg = f"quantile value should be between 0 and 1, got {format_g(value)}"
            warn(ctx, node.param.pos, msg)


def _min_max(op: str, vec: InstantVector, order: I64, starts: I64) -> F64:
    # Upstream replaces a NaN accumulator by any later sample and never lets a
    # NaN sample replace a number: that is fmin/fmax, with absent steps as NaN.
    vals = np.where(vec.present, vec.values, np.nan)[order]
    ufunc = np.fmin if op == "min" else np.fmax
    return np.asarray(ufunc.reduceat(vals, starts, axis=0), dtype=np.float64)


def _exact_sum(vec: InstantVector, order: I64, starts: I64) -> F64 | None:
    """Group sums by plain addition when that is provably what the compensated
    sum yields: integral values whose absolute sum stays below 2**53 make every
    partial sum exact, so the compensation stays 0 (the common counter case)."""
    vals = np.where(vec.present, vec.values, 0.0)[order]
    if not np.array_equal(vals, np.trunc(vals)):
        return None
    with np.errstate(all="ignore"):
        if not (np.add.reduceat(np.abs(vals), starts, axis=0) < _EXACT_LIMIT).all():
            return None
    return np.asarray(np.add.reduceat(vals, starts, axis=0), dtype=np.float64)


def _kahan_group_sums(vec: InstantVector, ids: I64, num_groups: int) -> tuple[F64, F64]:
    """Upstream's compensated sum per group, folding members in input order.

    An absent sample is folded in as 0.0, which leaves both the sum and the
    compensation unchanged, and the first sample folded onto (0, 0) gives the
    sample itself: so no per-step masks are needed."""
    vals = np.where(vec.present, vec.values, 0.0)
    steps = vals.shape[1]
    total = np.zeros((num_groups, steps))
    comp = np.zeros((num_groups, steps))
    for rows, groups in members_by_rank(ids, num_groups):
        if len(groups) == num_groups:
            total, comp = kahan_inc(vals[rows], total, comp)
        else:
            total[groups], comp[groups] = kahan_inc(vals[rows], total[groups], comp[groups])
    return total, comp


def _sum(vec: InstantVector, ids: I64, num_groups: int) -> F64:
    total, comp = _kahan_group_sums(vec, ids, num_groups)
    with np.errstate(invalid="ignore"):
        return total + comp


def _avg(vec: InstantVector, ids: I64, num_groups: int, count: I64) -> F64:
    """Upstream's mean: a compensated direct sum divided by the count, switching
    per group to a compensated incremental mean once the sum would overflow."""
    total, comp = _kahan_group_sums(vec, ids, num_groups)
    if np.isfinite(total).all():
        # A sum that ends finite never overflowed on the way (an infinite
        # partial sum stays infinite or NaN), so the direct mean applies.
        with np.errstate(all="ignore"):
            return total / count + comp / count
    return _avg_switching(vec, ids, num_groups)


def _avg_switching(vec: InstantVector, ids: I64, num_groups: int) -> F64:
    steps = vec.values.shape[1]
    shape = (num_groups, steps)
    total, comp, mean = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    count = np.zeros(shape)
    incremental = np.zeros(shape, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for rows, groups in members_by_rank(ids, num_groups):
            v = vec.values[rows]
            p = vec.present[rows]
            s, c, m = total[groups], comp[groups], mean[groups]
            n, inc = count[groups], incremental[groups]
            first = p & (n == 0)
            upd = p & (n > 0)
            n2 = np.where(p, n + 1, n)
            # Direct mode: try the compensated sum; on overflow switch to the mean.
            ns, nc = kahan_inc(v, s, c)
            direct_ok = upd & ~inc & ~np.isinf(ns)
            switch = upd & ~inc & np.isinf(ns)
            prev = n2 - 1
            m = np.where(switch, s / prev, m)
            c = np.where(switch, c / prev, c)
            inc2 = inc | switch
            step_inc = upd & inc2
            q = prev / n2
            im, ic = kahan_inc(v / n2, q * m, q * c)
            total[groups] = np.where(first, v, np.where(direct_ok, ns, s))
            comp[groups] = np.where(first, 0.0, np.where(direct_ok, nc, np.where(step_inc, ic, c)))
            mean[groups] = np.where(first, v, np.where(step_inc, im, m))
            count[groups] = n2
            incremental[groups] = inc2
        return np.where(incremental, mean + comp, total / count + comp / count)


def _variance(vec: InstantVector, ids: I64, num_groups: int) -> F64:
    """Welford's online variance in input order, as upstream; a NaN or an Inf
    first sample makes the group NaN."""
    steps = vec.values.shape[1]
    shape = (num_groups, steps)
    mean, acc, count = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    with np.errstate(all="ignore"):
        for rows, groups in members_by_rank(ids, num_groups):
            v = vec.values[rows]
            p = vec.present[rows]
            m, a, n = mean[groups], acc[groups], count[groups]
            first = p & (n == 0)
            upd = p & (n > 0)
            n2 = np.where(p, n + 1, n)
            delta = v - m
            m2 = m + delta / n2
            a2 = a + delta * (v - m2)
            first_acc = np.where(np.isfinite(v), 0.0, np.nan)
            mean[groups] = np.where(first, v, np.where(upd, m2, m))
            acc[groups] = np.where(first, first_acc, np.where(upd, a2, a))
            count[groups] = n2
        return acc / count


def _quantile(vec: InstantVector, ids: I64, num_groups: int, q: F64) -> F64:
    steps = vec.values.shape[1]
    out = np.full((num_groups, steps), np.nan)
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(num_groups + 1))
    cols = np.arange(steps)
    for g in range(num_groups):
        rows = order[bounds[g] : bounds[g + 1]]
        v = vec.values[rows]
        p = vec.present[rows]
        n = p.sum(axis=0)
        # NaN sorts below everything (upstream's heap order); absent samples last.
        nan_count = (np.isnan(v) & p).sum(axis=0)
        key = np.where(p, np.where(np.isnan(v), -np.inf, v), np.inf)
        srt = np.sort(key, axis=0)
        ranks = np.arange(srt.shape[0])[:, None]
        srt = np.where(ranks < nan_count[None, :], np.nan, srt)
        out[g] = _interpolate(srt, n, q, cols)
    return out


def _interpolate(srt: F64, n: I64, q: F64, cols: I64) -> F64:
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore"):
        rank = q * (nf - 1)
        lower = np.maximum(0.0, np.floor(rank))
        upper = np.minimum(nf - 1, lower + 1)
        weight = rank - np.floor(rank)
        lo_idx = np.clip(np.nan_to_num(lower), 0, max(srt.shape[0] - 1, 0)).astype(np.int64)
        hi_idx = np.clip(np.nan_to_num(upper), 0, max(srt.shape[0] - 1, 0)).astype(np.int64)
        res = srt[lo_idx, cols] * (1 - weight) + srt[hi_idx, cols] * weight
    res = np.where(q < 0, -np.inf, res)
    res = np.where(q > 1, np.inf, res)
    res = np.where(np.isnan(q) | (n == 0), np.nan, res)
    return res
