"""Merging the same series from several sources, and HA replica deduplication.

Two rules, both documented here because query results depend on them:

**Same labels from several stores** (``chain``): the union of the samples;
where two stores have a sample at the same timestamp, the store listed first
wins. (Horizontally sharded servers normally never share a series.)

**HA replicas** (``dedup``): series equal once the replica label is removed
are one series scraped by several replicas. A simple, penalty-free variant of
Thanos's rule:

1. the *primary* replica is the one with the most samples in the range
   (ties: the smallest replica label value), so a replica that was down is not
   preferred; all its samples are kept;
2. its scrape interval ``i`` is the median distance between its samples;
3. a gap is a stretch between two consecutive kept samples longer than
   ``1.5 * i`` (or before the first / after the last kept sample);
4. each other replica, in the same order, fills gaps: its sample at ``t`` is
   taken when ``t`` lies in a gap and is more than ``i / 2`` from both edges,
   so a fill never interleaves with the kept samples' cadence.

Without gaps the result is exactly the primary's samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.server.storage.interface import Series

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def chain(labels: Labels, series: Sequence[Series]) -> Series:
    """Union of the samples; on equal timestamps the earliest series wins."""
    if len(series) == 1:
        s = series[0]
        return s if s.labels == labels else Series(labels, s.timestamps, s.values)
    ts = np.concatenate([s.timestamps for s in series])
    vs = np.concatenate([s.values for s in series])
    order = np.argsort(ts, kind="stable")
    ts, vs = ts[order], vs[order]
    first = np.ones(ts.size, dtype=bool)
    first[1:] = ts[1:] != ts[:-1]
    return Series(labels, ts[first], vs[first])


def interval_ms(ts: I64) -> float:
    return float(np.median(np.diff(ts))) if ts.size >= 2 else 0.0


def fill_gaps(base_ts: I64, base_vs: F64, other_ts: I64, other_vs: F64,
              interval: float) -> tuple[I64, F64]:  # fmt: skip
    """``base`` plus the samples of ``other`` that fall well inside its gaps."""
    if other_ts.size == 0:
        return base_ts, base_vs
    if base_ts.size == 0:
        return other_ts, other_vs
    idx = np.searchsorted(base_ts, other_ts, side="left")
    prev = np.where(idx > 0, base_ts[np.maximum(idx - 1, 0)].astype(np.float64), -np.inf)
    nxt = np.where(idx < base_ts.size, base_ts[np.minimum(idx, base_ts.size - 1)]
                   .astype(np.float64), np.inf)  # fmt: skip
    t = other_ts.astype(np.float64)
    half = interval / 2
    take = (nxt - prev > 1.5 * interval) & (t - prev > half) & (nxt - t > half)
    if not take.any():
        return base_ts, base_vs
    ts = np.concatenate([base_ts, other_ts[take]])
    vs = np.concatenate([base_vs, other_vs[take]])
    order = np.argsort(ts, kind="stable")
    return ts[order], vs[order]


def dedup(labels: Labels, replicas: Sequence[tuple[str, Series]]) -> Series:
    """One series from several replicas' copies (``(replica value, series)``)."""
    ordered = sorted(replicas, key=lambda r: (-r[1].timestamps.size, r[0]))
    _, primary = ordered[0]
    ts, vs = primary.timestamps, primary.values
    interval = interval_ms(ts)
    for _, other in ordered[1:]:
        if interval == 0.0:
            interval = interval_ms(other.timestamps)
        ts, vs = fill_gaps(ts, vs, other.timestamps, other.values, interval)
    return Series(labels, ts, vs)
