"""``rate``/``increase``/``delta`` over ``anchored`` and ``smoothed`` range
selectors (experimental extended range selectors).

The evaluator widens such windows: ``anchored`` adds the last sample at or
before the window start (within the lookback delta); ``smoothed`` also adds the
first sample after the window end. Instead of extrapolating, the result is the
difference between the values at the window's edges: the boundary samples
themselves (anchored), or values linearly interpolated at the exact edges
(smoothed; a counter that dropped between the two points is interpolated up
from zero). Counter resets inside the window are corrected as usual.
"""

from __future__ import annotations

import numpy as np

from lab.server.promql.values import BOOL, F64, I64

ANCHORED_FUNCTIONS = ("changes", "delta", "increase", "rate", "resets")
SMOOTHED_FUNCTIONS = ("delta", "increase", "rate")


def _interpolate(
    t1: F64, y1: F64, t2: F64, y2: F64, t: F64, is_counter: bool
) -> F64:
    with np.errstate(all="ignore"):
        if is_counter:
            y1 = np.where(y2 < y1, 0.0, y1)
        return np.asarray(y1 + (y2 - y1) * (t - t1) / (t2 - t1), dtype=np.float64)


def extended_rate(
    ts: I64,
    vals: F64,
    lo: I64,
    hi: I64,
    ends: I64,
    range_ms: int,
    smoothed: bool,
    is_counter: bool,
    is_rate: bool,
) -> tuple[F64, BOOL]:
    """Values and presence (S, T) for windows ``[lo, hi)`` of the flat
    ``ts``/``vals`` arrays (which end with one padding slot)."""
    last_slot = vals.size - 1
    end = np.broadcast_to(ends[None, :], lo.shape).astype(np.int64)
    start = end - range_ms
    n = hi - lo
    first = np.minimum(lo, last_slot)
    last = np.maximum(hi - 1, 0)
    if smoothed:
        # a sample exactly at the window end comes before the one added after it
        prev_is_end = (hi - 2 >= lo) & (ts[np.maximum(hi - 2, 0)] >= end)
        last = np.where(prev_is_end, hi - 2, last)
    present = (n > 0) & (ts[last] > start) & (ts[first] <= end)
    left = vals[first]
    right = vals[last]
    if smoothed:
        nxt = np.minimum(first + 1, last_slot)
        interp_left = (ts[first] < start) & present
        left = np.where(
            interp_left,
            _interpolate(
                ts[first].astype(np.float64), vals[first], ts[nxt].astype(np.float64),
                vals[nxt], start.astype(np.float64), is_counter,
            ),
            left,
        )  # fmt: skip
        prv = np.maximum(last - 1, 0)
        interp_right = (last > lo) & (ts[last] > end) & present
        right = np.where(
            interp_right,
            _interpolate(
                ts[prv].astype(np.float64), vals[prv], ts[last].astype(np.float64),
                vals[last], end.astype(np.float64), is_counter,
            ),
            right,
        )  # fmt: skip
    with np.errstate(all="ignore"):
        result = right - left
        if is_counter:
            fi = first + (ts[first] <= start)
            li = last - (ts[last] >= end)
            # pair k (samples k-1, k) contributes vals[k-1] when it drops
            drop = np.zeros(vals.size, dtype=np.float64)
            drop[1:] = np.where(vals[1:] < vals[:-1], vals[:-1], 0.0)
            prefix = np.concatenate([[0.0], np.cumsum(drop)])
            has_points = fi <= li
            fic = np.clip(fi, 0, last_slot)
            lic = np.clip(li, 0, last_slot)
            inner_sum = prefix[lic + 1] - prefix[np.minimum(fic + 1, lic + 1)]
            inner = np.where(has_points, inner_sum, 0.0)
            head = np.where(has_points & (vals[fic] < left), left, 0.0)
            tail_prev = np.where(has_points, vals[lic], left)
            tail = np.where(right < tail_prev, tail_prev, 0.0)
            result = result + head + inner + tail
        if is_rate:
            result = result / (range_ms / 1000.0)
    return np.asarray(result, dtype=np.float64), np.asarray(present, dtype=bool)
