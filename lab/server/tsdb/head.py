"""The head: the newest samples in memory, per series compressed chunks + a tail.

Each ``MemSeries`` keeps its closed chunks in the block chunk encoding
(``chunkenc``, about 1-2 bytes per sample for scraped data) and an open tail of
at most ``CHUNK_SAMPLES`` samples as two numpy arrays (int64 timestamps,
float64 values). A full tail is cut into a chunk; reads decode the chunks they
overlap and take views of the tail. The tail is what a scrape appends to, so
appends stay amortised O(1); a cut costs one ``chunkenc.encode`` every ~120
samples of a series.

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
from lab.server.tsdb import chunkenc
from lab.server.tsdb.block import SeriesData
from lab.server.tsdb.postings import MemPostings, select_ids

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

MIN_TIME = -(2**63)
MAX_TIME = 2**63 - 1
#: Samples per closed head chunk (upstream cuts at 120 too).
CHUNK_SAMPLES = 120
#: A series cuts at ``CHUNK_SAMPLES - ref % _STAGGER`` samples: the series one
#: scrape created would otherwise all cut, and encode, in the same commit.
_STAGGER = 16
_INITIAL_CAPACITY = 8
_EMPTY_I64: I64 = np.empty(0, dtype=np.int64)
_EMPTY_F64: F64 = np.empty(0, dtype=np.float64)


class MemSeries:
    """One series' head samples plus the commit bookkeeping.

    Closed chunks are ``chunks`` (oldest first) with their first timestamps
    (``chunk_mint``) and sample counts (``chunk_n``); chunk i holds samples in
    ``[chunk_mint[i], next chunk's or the tail's first timestamp)``. The tail is
    the first ``tn`` elements of ``ts`` / ``vs``; those elements are never
    written again (a cut and truncation make new arrays), so a query can hold
    views of the tail without copying. ``n`` counts every sample held.

    ``last_t`` / ``last_bits`` describe the newest sample *accepted* (validated
    and logged, maybe not yet applied): a concurrent commit validates against
    them, so two commits can never interleave out of order. ``max_t`` is the
    newest sample applied.
    """

    __slots__ = (
        "chunk_mint",
        "chunk_n",
        "chunks",
        "cut_at",
        "labels",
        "last_bits",
        "last_t",
        "max_t",
        "n",
        "ref",
        "tn",
        "ts",
        "vs",
    )

    def __init__(self, ref: int, labels: Labels) -> None:
        self.ref = ref
        self.labels = labels
        self.ts: I64 = _EMPTY_I64
        self.vs: F64 = _EMPTY_F64
        self.tn = 0
        self.n = 0
        self.chunks: list[bytes] = []
        self.chunk_mint: list[int] = []
        self.chunk_n: list[int] = []
        self.cut_at = CHUNK_SAMPLES - ref % _STAGGER
        self.last_t = MIN_TIME
        self.last_bits = 0
        self.max_t = MIN_TIME

    # -- writing ---------------------------------------------------------------

    def append_one(self, t: int, v: float) -> None:
        """Append one sample newer than every sample held (checked by the caller)."""
        tn = self.tn
        if tn == self.ts.size:
            self._grow(tn + 1)
        # The scrape case: scalar stores beat slice assignment.
        self.ts[tn] = t
        self.vs[tn] = v
        self.tn = tn + 1
        self.n += 1
        self.max_t = t
        if tn + 1 >= self.cut_at:
            self.cut()

    def append(self, ts: Sequence[int] | I64, vs: Sequence[float] | F64) -> None:
        """Append samples newer than every sample held (checked by the caller)."""
        k = len(ts)
        if k == 1:
            self.append_one(int(ts[0]), float(vs[0]))
            return
        if k == 0:
            return
        t_arr = np.asarray(ts, dtype=np.int64)
        v_arr = np.asarray(vs, dtype=np.float64)
        pos = 0
        while pos < k:
            take = min(k - pos, self.cut_at - self.tn)
            need = self.tn + take
            if need > self.ts.size:
                self._grow(need)
            self.ts[self.tn : need] = t_arr[pos : pos + take]
            self.vs[self.tn : need] = v_arr[pos : pos + take]
            self.tn = need
            pos += take
            if self.tn >= self.cut_at:
                self.cut()
        self.n += k
        self.max_t = int(t_arr[-1])

    def _grow(self, need: int) -> None:
        cap = max(self.ts.size * 2, _INITIAL_CAPACITY)
        while cap < need:
            cap *= 2
        cap = min(cap, max(self.cut_at, need))
        ts = np.empty(cap, dtype=np.int64)
        vs = np.empty(cap, dtype=np.float64)
        ts[: self.tn] = self.ts[: self.tn]
        vs[: self.tn] = self.vs[: self.tn]
        self.ts, self.vs = ts, vs

    def cut(self) -> None:
        """Close the tail into a compressed chunk (new, empty tail arrays)."""
        if self.tn == 0:
            return
        self.chunks.append(chunkenc.encode(self.ts[: self.tn], self.vs[: self.tn]))
        self.chunk_mint.append(int(self.ts[0]))
        self.chunk_n.append(self.tn)
        self.ts, self.vs, self.tn = _EMPTY_I64, _EMPTY_F64, 0

    # -- reading ---------------------------------------------------------------

    def first_t(self) -> int:
        """Oldest sample held (the series must hold one)."""
        return self.chunk_mint[0] if self.chunks else int(self.ts[0])

    def _chunk_end(self, i: int) -> int:
        """Exclusive upper bound of chunk ``i``'s timestamps."""
        if i + 1 < len(self.chunks):
            return self.chunk_mint[i + 1]
        return int(self.ts[0]) if self.tn else self.max_t + 1

    def range(self, mint: int, maxt: int) -> tuple[I64, F64]:
        """The samples in ``[mint, maxt]``: views of the tail, decoded chunks."""
        parts_t: list[I64] = []
        parts_v: list[F64] = []
        for i, cmint in enumerate(self.chunk_mint):
            if cmint > maxt:
                break
            if self._chunk_end(i) <= mint:
                continue
            t, v = chunkenc.decode(self.chunks[i], "head chunk")
            parts_t.append(t)
            parts_v.append(v)
        if self.tn:
            parts_t.append(self.ts[: self.tn])
            parts_v.append(self.vs[: self.tn])
        if not parts_t:
            return _EMPTY_I64, _EMPTY_F64
        if len(parts_t) == 1:
            ts, vs = parts_t[0], parts_v[0]
        else:
            ts, vs = np.concatenate(parts_t), np.concatenate(parts_v)
        lo = int(np.searchsorted(ts, mint, side="left"))
        hi = int(np.searchsorted(ts, maxt, side="right"))
        return ts[lo:hi], vs[lo:hi]

    def samples(self) -> tuple[I64, F64]:
        """Every sample held."""
        return self.range(MIN_TIME, MAX_TIME)

    def drop_before(self, t: int) -> None:
        """Forget samples older than ``t`` (new arrays: old views stay valid)."""
        if self.n == 0 or self.first_t() >= t:
            return
        while self.chunks and self._chunk_end(0) <= t:
            self.n -= self.chunk_n[0]
            del self.chunks[0], self.chunk_mint[0], self.chunk_n[0]
        if self.chunks and self.chunk_mint[0] < t:
            ts, vs = chunkenc.decode(self.chunks[0], "head chunk")
            keep = ts >= t
            kept = int(keep.sum())
            self.n -= self.chunk_n[0] - kept
            if kept:
                self.chunks[0] = chunkenc.encode(ts[keep], vs[keep])
                self.chunk_mint[0] = int(ts[keep][0])
                self.chunk_n[0] = kept
            else:  # cannot happen (the chunk ends after t), kept for safety
                del self.chunks[0], self.chunk_mint[0], self.chunk_n[0]
        if not self.chunks and self.tn:
            tail = self.ts[: self.tn]
            cut = int(np.searchsorted(tail, t, side="left"))
            if cut:
                self.ts = tail[cut:].copy()
                self.vs = self.vs[cut : self.tn].copy()
                self.tn -= cut
                self.n -= cut

    def delete_range(self, mint: int, maxt: int) -> bool:
        """Remove the samples in ``[mint, maxt]`` (new arrays and chunks); True if
        any were held. ``last_t`` stays: deleting does not reopen the past."""
        ts, vs = self.samples()
        gone = (ts >= mint) & (ts <= maxt)
        if not gone.any():
            return False
        keep = ~gone
        self.chunks, self.chunk_mint, self.chunk_n = [], [], []
        self.ts, self.vs, self.tn, self.n = _EMPTY_I64, _EMPTY_F64, 0, 0
        self.max_t = MIN_TIME
        self.append(ts[keep], vs[keep])
        return True

    def nbytes(self) -> int:
        return int(self.ts.nbytes + self.vs.nbytes) + sum(len(c) for c in self.chunks)


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
        #: series dropped by truncation so far (held ``MemSeries`` may be stale)
        self.dropped_series = 0
        #: samples committed (not replayed) since the head was created
        self.samples_appended = 0

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
                self.samples_appended += len(ts)
                if int(ts[-1]) > self.max_t:
                    self.max_t = int(ts[-1])

    def apply_columns(self, ss: Sequence[MemSeries], ts: list[int], vs: list[float]) -> None:
        """One sample per series (a scrape's commit), series unique."""
        for s, t, v in zip(ss, ts, vs, strict=True):
            if s.n == 0 and t < self._min_t:
                self._min_t = t
            s.append_one(t, v)
        self.samples_appended += len(ts)
        if ts:
            self.max_t = max(self.max_t, max(ts))

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
        if bounds.size == refs.size - 1:
            return self._replay_one_each(refs, ts, vs)
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

    def delete(
        self, matchers: Sequence[Matcher], mint: int, maxt: int
    ) -> list[tuple[int, int, int]]:
        """Delete the matching series' samples in ``[mint, maxt]``; returns what was
        deleted as ``(ref, mint, maxt)`` clamped to each series' samples, for the
        WAL (the caller holds ``lock`` with no commit in flight)."""
        out = []
        for ref in select_ids(matchers, self.postings).tolist():
            s = self.series.get(ref)
            if s is None or s.n == 0 or s.first_t() > maxt or s.max_t < mint:
                continue
            lo, hi = max(mint, s.first_t()), min(maxt, s.max_t)
            if s.delete_range(lo, hi):
                out.append((ref, lo, hi))
        return out

    def _replay_one_each(self, refs: I64, ts: I64, vs: F64) -> int:
        """``apply_replayed`` for a record with one sample per series (a scrape's
        commit): scalar appends, no numpy slicing per series."""
        series = self.series
        floor = self.min_valid_t - 1
        unknown = 0
        max_t = self.max_t
        for ref, t, v, bits in zip(
            refs.tolist(), ts.tolist(), vs.tolist(), vs.view(np.uint64).tolist(), strict=True
        ):
            s = series.get(ref)
            if s is None:
                unknown += 1
                continue
            if t <= s.last_t or t <= floor:
                continue
            if s.n == 0 and t < self._min_t:
                self._min_t = t
            s.append_one(t, v)
            s.last_t = t
            s.last_bits = bits
            if t > max_t:
                max_t = t
        self.max_t = max_t
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
                if s is not None and s.n and s.first_t() <= maxt and s.max_t >= mint:
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
            self.dropped_series += dropped
            self._rebuild_postings()
        firsts = [s.first_t() for s in self.series.values() if s.n]
        self._min_t = min(firsts) if firsts else MAX_TIME
        return dropped

    def _rebuild_postings(self) -> None:
        postings = MemPostings()
        for ref in sorted(self.series):
            postings.add(ref, self.series[ref].labels)
        self.postings = postings

    def memory_bytes(self) -> int:
        return sum(s.nbytes() for s in self.series.values())
