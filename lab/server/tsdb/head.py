"""The head: the newest samples in memory, per series as growable numpy columns.

Each ``MemSeries`` holds two arrays (int64 timestamps, float64 values) with
spare capacity that doubles when full, so appends are amortised O(1) and a
read is a slice: elements below ``n`` are never written again (growth and
truncation make new arrays), so a query can hold views without copying.

Series ids (``ref``) increase monotonically and index the postings. The head
does no locking of its own: ``lock`` (a Condition) is taken by the appender,
the DB and queriers. The commit protocol lives in ``appender.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.model.matcher import Matcher
from lab.server.storage.interface import Series
from lab.server.tsdb.block import SeriesData
from lab.server.tsdb.postings import MemPostings, select_ids

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

MIN_TIME = -(2**63)
MAX_TIME = 2**63 - 1
_INITIAL_CAPACITY = 16


class MemSeries:
    """One series' head samples plus the commit bookkeeping.

    ``last_t`` / ``last_bits`` describe the newest sample *accepted* (validated
    and logged, maybe not yet applied): a concurrent commit validates against
    them, so two commits can never interleave out of order.
    """

    __slots__ = ("labels", "last_bits", "last_t", "n", "ref", "ts", "vs")

    def __init__(self, ref: int, labels: Labels) -> None:
        self.ref = ref
        self.labels = labels
        self.ts: I64 = np.empty(_INITIAL_CAPACITY, dtype=np.int64)
        self.vs: F64 = np.empty(_INITIAL_CAPACITY, dtype=np.float64)
        self.n = 0
        self.last_t = MIN_TIME
        self.last_bits = 0

    def append(self, ts: Sequence[int] | I64, vs: Sequence[float] | F64) -> None:
        """Append samples newer than every sample held (checked by the caller)."""
        k = len(ts)
        need = self.n + k
        if need > self.ts.size:
            cap = max(self.ts.size * 2, _INITIAL_CAPACITY)
            while cap < need:
                cap *= 2
            self._resize(cap)
        if k == 1:  # the scrape case: scalar stores beat slice assignment
            self.ts[self.n] = ts[0]
            self.vs[self.n] = vs[0]
        else:
            self.ts[self.n : need] = ts
            self.vs[self.n : need] = vs
        self.n = need

    def _resize(self, cap: int) -> None:
        ts = np.empty(cap, dtype=np.int64)
        vs = np.empty(cap, dtype=np.float64)
        ts[: self.n] = self.ts[: self.n]
        vs[: self.n] = self.vs[: self.n]
        self.ts, self.vs = ts, vs

    def timestamps(self) -> I64:
        return self.ts[: self.n]

    def values(self) -> F64:
        return self.vs[: self.n]

    def range(self, mint: int, maxt: int) -> tuple[I64, F64]:
        """Views of the samples in ``[mint, maxt]``."""
        ts = self.ts[: self.n]
        lo = int(np.searchsorted(ts, mint, side="left"))
        hi = int(np.searchsorted(ts, maxt, side="right"))
        return ts[lo:hi], self.vs[lo:hi]

    def drop_before(self, t: int) -> None:
        """Forget samples older than ``t`` (new arrays: old views stay valid)."""
        ts = self.ts[: self.n]
        cut = int(np.searchsorted(ts, t, side="left"))
        if cut == 0:
            return
        keep = self.n - cut
        cap = _INITIAL_CAPACITY
        while cap < keep:
            cap *= 2
        new_ts = np.empty(cap, dtype=np.int64)
        new_vs = np.empty(cap, dtype=np.float64)
        new_ts[:keep] = ts[cut:]
        new_vs[:keep] = self.vs[cut : self.n]
        self.ts, self.vs, self.n = new_ts, new_vs, keep

    def nbytes(self) -> int:
        return int(self.ts.nbytes + self.vs.nbytes)


class Head:
    """Series registry, postings and columns of the in-memory window."""

    def __init__(self) -> None:
        self.lock = threading.Condition(threading.RLock())
        self.series: dict[int, MemSeries] = {}
        self.by_labels: dict[Labels, MemSeries] = {}
        self.postings = MemPostings()
        self.next_ref = 1
        #: samples older than this belong to a block already: ``out of bounds``.
        self.min_valid_t = MIN_TIME
        self.max_t = MIN_TIME
        #: oldest sample held; samples only arrive newer than their series' last,
        #: so only a series' first sample can lower it (recomputed at truncation).
        self._min_t = MAX_TIME
        #: commit order: the WAL sequence number of the last commit applied.
        self.applied_seq = 0

    # -- writing (caller holds ``lock``) ------------------------------------------

    def create_series(self, labels: Labels, ref: int | None = None) -> MemSeries:
        if ref is None:
            ref = self.next_ref
        s = MemSeries(ref, labels)
        self.series[ref] = s
        self.by_labels[labels] = s
        self.postings.add(ref, labels)
        self.next_ref = max(self.next_ref, ref + 1)
        return s

    def apply(self, batch: Sequence[tuple[MemSeries, Sequence[int], Sequence[float]]]) -> None:
        for s, ts, vs in batch:
            if len(ts):
                if s.n == 0 and int(ts[0]) < self._min_t:
                    self._min_t = int(ts[0])
                s.append(ts, vs)
                if int(ts[-1]) > self.max_t:
                    self.max_t = int(ts[-1])

    def apply_replayed(self, refs: I64, ts: I64, vs: F64) -> int:
        """Apply a WAL samples record; returns how many samples had no known series.

        Samples not newer than their series' last one (a checkpoint overlapping a
        segment) or below ``min_valid_t`` are skipped, never an error.
        """
        if refs.size == 0:
            return 0
        order = np.argsort(refs, kind="stable")
        refs, ts, vs = refs[order], ts[order], vs[order]
        bounds = np.flatnonzero(np.diff(refs)) + 1
        unknown = 0
        for lo, hi in zip(
            np.concatenate([[0], bounds]).tolist(),
            np.concatenate([bounds, [refs.size]]).tolist(),
            strict=True,
        ):
            s = self.series.get(int(refs[lo]))
            if s is None:
                unknown += hi - lo
                continue
            t, v = ts[lo:hi], vs[lo:hi]
            floor = max(s.last_t, self.min_valid_t - 1)
            keep = t > floor
            if t.size > 1:
                keep[1:] &= np.diff(t) > 0
            t, v = t[keep], v[keep]
            if t.size:
                if s.n == 0 and int(t[0]) < self._min_t:
                    self._min_t = int(t[0])
                s.append(t, v)
                s.last_t = int(t[-1])
                s.last_bits = int(v[-1:].view(np.uint64)[0])
                self.max_t = max(self.max_t, s.last_t)
        return unknown

    # -- reading --------------------------------------------------------------------

    def min_t(self) -> int:
        """Oldest sample held (MAX_TIME when empty)."""
        return self._min_t

    def num_samples(self) -> int:
        return sum(s.n for s in self.series.values())

    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[Series]:
        out: list[Series] = []
        with self.lock:
            for ref in select_ids(matchers, self.postings).tolist():
                s = self.series.get(ref)
                if s is None or s.n == 0:
                    continue
                ts, vs = s.range(mint, maxt)
                if ts.size:
                    out.append(Series(s.labels, ts, vs))
        out.sort(key=lambda x: x.labels)
        return out

    def series_labels(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[Labels]:
        """Labels of matching series with a sample in ``[mint, maxt]``."""
        with self.lock:
            out = []
            for ref in select_ids(matchers, self.postings).tolist():
                s = self.series.get(ref)
                if s is not None and s.n and s.ts[0] <= maxt and s.ts[s.n - 1] >= mint:
                    out.append(s.labels)
            return out

    def range_data(self, mint: int, maxt_exclusive: int) -> Iterator[SeriesData]:
        """Every series' samples in ``[mint, maxt_exclusive)`` (copies), for block cutting."""
        with self.lock:
            for s in list(self.series.values()):
                ts, vs = s.range(mint, maxt_exclusive - 1)
                if ts.size:
                    yield SeriesData(s.labels, ts.copy(), vs.copy())

    # -- truncation -------------------------------------------------------------------

    def truncate(self, t: int) -> int:
        """Drop samples older than ``t`` and series left empty; returns series dropped.

        The caller holds ``lock`` with no commit in flight, so no series being
        dropped has samples accepted but not applied.
        """
        self.min_valid_t = max(self.min_valid_t, t)
        dropped = 0
        for ref, s in list(self.series.items()):
            s.drop_before(t)
            if s.n == 0:
                del self.series[ref]
                del self.by_labels[s.labels]
                dropped += 1
        if dropped:
            self._rebuild_postings()
        firsts = [int(s.ts[0]) for s in self.series.values() if s.n]
        self._min_t = min(firsts) if firsts else MAX_TIME
        return dropped

    def _rebuild_postings(self) -> None:
        postings = MemPostings()
        for ref in sorted(self.series):
            postings.add(ref, self.series[ref].labels)
        self.postings = postings

    def memory_bytes(self) -> int:
        return sum(s.nbytes() for s in self.series.values())
