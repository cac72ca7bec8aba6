"""Aggregations that return (a subset of) their input series, and ``count_values``.

``topk``/``bottomk``/``limitk``/``limit_ratio`` keep each chosen series' own
labels and ``drop_name`` mark; a series is present in the output at the steps
at which it was chosen. The parameter may differ per step.
"""

from __future__ import annotations

import numpy as np

from lab.model.gofloat import format_f, format_g, format_g21
from lab.model.gostr import go_quote
from lab.model.labels import METRIC_NAME, Labels
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.opsupport import (
    group_ids,
    is_valid_label_name,
    sorted_groups,
    warn,
)
from lab.server.promql.parser.ast import AggregateExpr
from lab.server.promql.values import BOOL, F64, I64, InstantVector
from lab.server.promql.xxhash64 import labels_hash

_MAX_UINT64 = float(2**64 - 1)


def _key(labels: Labels, node: AggregateExpr) -> Labels:
    if node.without:
        return labels.without(*node.grouping, METRIC_NAME)
    return labels.only(*node.grouping)


def select_series(
    ctx: EvalContext, node: AggregateExpr, vec: InstantVector, param: F64, steps: int
) -> InstantVector:
    op = node.op
    if op == "limit_ratio":
        ratio = _ratio_param(ctx, node, param)
        kk: I64 = np.zeros(steps, dtype=np.int64)
    else:
        kk = _k_param(param, vec.num_series)
        ratio = np.zeros(steps)
    if not vec.num_series:
        return InstantVector.empty(steps)

    ids, uniques = group_ids([_key(lbl, node) for lbl in vec.labels])
    order, starts = sorted_groups(ids, len(uniques))
    p = vec.present
    # (group, rank at the first step, input index) orders the output series.
    sort_rank = np.zeros(vec.num_series, dtype=np.int64)
    if op in ("topk", "bottomk"):
        ranks = _ranks(vec.values, p, ids, starts, op == "topk")
        selected = p & (ranks < kk[None, :])
        sort_rank = ranks[:, 0]
    elif op == "limitk":
        # Running count of present members within each group (groups are
        # contiguous in ``order``), minus the count before the group starts.
        cs = np.cumsum(p[order].astype(np.int64), axis=0)
        before = np.vstack([np.zeros((1, steps), dtype=np.int64), cs])[starts]
        within = np.empty_like(cs)
        within[order] = cs - before[ids[order]]
        selected = p & (within <= kk[None, :])
    else:
        offsets = np.array([labels_hash(lbl) / _MAX_UINT64 for lbl in vec.labels])[:, None]
        r = ratio[None, :]
        selected = p & np.where(r >= 0, offsets < r, offsets >= 1.0 + r)

    keep = np.flatnonzero(selected.any(axis=1))
    keep = keep[np.lexsort((keep, sort_rank[keep], ids[keep]))]
    return InstantVector(
        [vec.labels[int(i)] for i in keep],
        np.where(selected[keep], vec.values[keep], 0.0),
        selected[keep],
        vec.drop_name[keep].copy(),
    )


def _ranks(values: F64, present: BOOL, ids: I64, starts: I64, top: bool) -> I64:
    """Rank of each series within its group per step: best first, NaN after
    numbers, absent last, ties in input order (upstream's heap keeps the
    earlier series on ties)."""
    steps = values.shape[1]
    order, _ = sorted_groups(ids, len(starts))
    # Steps as rows, series grouped contiguously: each group is a slice.
    v = values[order].T
    p = present[order].T
    cls = np.where(~p, 2, np.where(np.isnan(v), 1, 0))
    key = np.where(cls > 0, 0.0, -v if top else v)
    ranks_sorted = np.empty(v.shape, dtype=np.int64)
    bounds = [*starts.tolist(), len(ids)]
    cols = np.arange(steps)[:, None]
    for g in range(len(starts)):
        lo, hi = bounds[g], bounds[g + 1]
        srt = np.lexsort((key[:, lo:hi], cls[:, lo:hi]), axis=-1)  # stable
        block = np.empty_like(srt)
        block[cols, srt] = np.arange(hi - lo)[None, :]
        ranks_sorted[:, lo:hi] = block
    ranks = np.empty((values.shape[0], steps), dtype=np.int64)
    ranks[order] = ranks_sorted.T
    return ranks


def _k_param(param: F64, num_series: int) -> I64:
    if np.isnan(param).any():
        raise EvalError("Parameter value is NaN")
    big = (param >= 2.0**63) | (param < -(2.0**63))
    if big.any():
        raise EvalError(f"Scalar value {format_g21(float(param[big][0]))} overflows int64")
    k = np.trunc(param).astype(np.int64)
    return np.clip(k, 0, num_series)


def _ratio_param(ctx: EvalContext, node: AggregateExpr, param: F64) -> F64:
    if np.isnan(param).any():
        raise EvalError("Ratio value is NaN")
    assert node.param is not None
    for value in dict.fromkeys(float(v) for v in param[(param > 1) | (param < -1)]):
        cap = 1.0 if value > 1 else -1.0
        warn(
            ctx,
            node.param.pos,
            f"ratio value should be between -1 and 1, got {format_g(value)}, "
            f"capping to {format_g(cap)}",
        )
    return np.clip(param, -1.0, 1.0)


def count_values(node: AggregateExpr, vec: InstantVector, label: str, steps: int) -> InstantVector:
    """One output series per (group, value): how many series had that value."""
    if not is_valid_label_name(label):
        raise EvalError(f"invalid label name {go_quote(label)}")
    if not vec.num_series:
        return InstantVector.empty(steps)
    rows, cols = np.nonzero(vec.present)
    vals = vec.values[rows, cols]
    # Group by the exact bits so that 0 and -0 stay apart ("0" vs "-0").
    bits, inverse = np.unique(vals.view(np.int64), return_inverse=True)
    texts = [format_f(float(b)) for b in bits.view(np.float64)]
    key_ids, key_uniques = group_ids([_key(lbl, node) for lbl in vec.labels])
    combo, combo_inv = np.unique(key_ids[rows] * len(bits) + inverse.ravel(), return_inverse=True)
    # Only distinct (group, value) pairs reach Python; they become output series.
    index: dict[Labels, int] = {}
    combo_out = np.empty(len(combo), dtype=np.int64)
    for j, c in enumerate(combo.tolist()):
        group, value = divmod(c, len(bits))
        lbl = key_uniques[group].set(label, texts[value])
        combo_out[j] = index.setdefault(lbl, len(index))
    out_idx = combo_out[combo_inv.ravel()]
    counts = np.zeros((len(index), steps))
    np.add.at(counts, (out_idx, cols), 1.0)
    present = counts > 0
    return InstantVector(list(index), counts, present, np.zeros(len(index), dtype=bool))
