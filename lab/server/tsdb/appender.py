"""The head appender: buffer a transaction, then validate, log, sync, apply.

``commit`` runs in three steps so that concurrent commits share an fsync
(group commit) and yet apply in one order:

1. under the head lock: validate the *whole* batch against each series' newest
   accepted sample (any error: nothing is applied, nothing logged), write the
   WAL records (not yet synced) and take a sequence number;
2. without the lock: ``wal.sync(seq)`` — one fsync may cover several commits;
3. under the lock again: wait for the previous sequence number to be applied,
   then append to the series columns. Only now are the samples visible.

``append`` already rejects what it can see is out of order (as upstream's
``Append`` does), so a scrape loop learns about a bad sample at once; the
appender stays usable and the sample is not buffered.

``append_batch`` (the ``BatchAppender`` seam) takes a scrape's samples of
known series as columns: validated with numpy against each series' newest
sample, logged as one WAL samples record straight from the arrays, and applied
one scalar store per series, with no per-sample dict of lists.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.server.storage.errors import (
    DuplicateSampleError,
    OutOfOrderSampleError,
    UnknownSeriesError,
)
from lab.server.tsdb import records
from lab.server.tsdb.errors import ClosedError, OutOfBoundsError, TSDBError
from lab.server.tsdb.head import Head, MemSeries

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


class _Log(Protocol):
    def log(self, records: list[bytes]) -> int: ...

    def sync(self, seq: int) -> None: ...


@dataclass(slots=True)
class _Columns:
    """One ``append_batch`` call's samples that will be applied (series unique)."""

    series: list[MemSeries]
    ts: I64
    vs: F64
    #: ``Head.dropped_series`` when the series were looked up
    generation: int


def _bits(value: float) -> int:
    return int.from_bytes(struct.pack("<d", value), "little")


def check_order(last_t: int, last_bits: int, t: int, value: float) -> bool:
    """Whether to keep a sample after a series' newest (``last_t``); raises when it
    is out of order or repeats a timestamp with another value. An exact repeat
    is dropped silently, as upstream does."""
    if t > last_t:
        return True
    if t < last_t:
        raise OutOfOrderSampleError("out of order sample")
    if _bits(value) != last_bits:
        raise DuplicateSampleError("duplicate sample for timestamp")
    return False


class HeadAppender:
    """One transaction against the head; reusable after ``commit``/``rollback``."""

    #: ``commit`` fsyncs the WAL: async callers run it in a worker thread.
    commit_waits_on_io = True

    def __init__(
        self, head: Head, wal: _Log, is_open: Callable[[], bool], on_commit: Callable[[], None]
    ) -> None:
        self._head = head
        self._wal = wal
        self._is_open = is_open
        self._on_commit = on_commit
        self._pending: dict[Labels, tuple[list[int], list[float]]] = {}
        self._batches: list[_Columns] = []

    def series_ref(self, labels: Labels) -> int | None:
        s = self._head.by_labels.get(labels)
        return None if s is None or s.n == 0 else s.ref

    def append_batch(self, refs: I64, ts: I64, values: F64) -> npt.NDArray[np.bool_]:
        head = self._head
        series = head.series
        try:
            ss = [series[r] for r in refs.tolist()]
        except KeyError as exc:
            raise UnknownSeriesError(f"unknown series reference {exc.args[0]}") from None
        n = len(ss)
        ts = np.asarray(ts, dtype=np.int64)
        values = np.ascontiguousarray(values, dtype=np.float64)
        last = np.fromiter((s.last_t for s in ss), np.int64, n)
        last_bits = np.fromiter((s.last_bits for s in ss), np.uint64, n)
        newer = ts > last
        taken = newer | ((ts == last) & (values.view(np.uint64) == last_bits))
        taken &= ts >= head.min_valid_t
        newer &= taken
        if newer.all():
            self._batches.append(_Columns(ss, ts, values, head.dropped_series))
        elif newer.any():
            keep = np.flatnonzero(newer)
            self._batches.append(
                _Columns(
                    [ss[i] for i in keep.tolist()], ts[keep], values[keep], head.dropped_series
                )
            )
        out: npt.NDArray[np.bool_] = taken
        return out

    def append(self, labels: Labels, t_ms: int, value: float) -> None:
        if not labels:
            raise TSDBError("empty labelset")
        t_ms, value = int(t_ms), float(value)
        entry = self._pending.get(labels)
        if entry is None:
            if t_ms < self._head.min_valid_t:
                raise OutOfBoundsError("out of bounds")
            s = self._head.by_labels.get(labels)
            if s is not None and not check_order(s.last_t, s.last_bits, t_ms, value):
                return
            self._pending[labels] = ([t_ms], [value])
            return
        ts, vs = entry
        if check_order(ts[-1], _bits(vs[-1]), t_ms, value):
            ts.append(t_ms)
            vs.append(value)

    def rollback(self) -> None:
        self._pending = {}
        self._batches = []

    def commit(self) -> None:
        if self._batches:
            self._merge_batches()
        pending, self._pending = self._pending, {}
        batches, self._batches = self._batches, []
        if not pending and not batches:
            return
        head = self._head
        with head.lock:
            if not self._is_open():
                raise ClosedError("TSDB is closed")
            # Everything is validated before anything is logged: one transaction.
            cols = self._validate_columns(batches[0]) if batches else None
            batch = self._validate(pending) if pending else []
            if not batch and cols is None:
                return
            # Plain lists until the record is encoded: a scrape commits one
            # sample for each of many series, where per-series arrays cost more.
            new = [labels for labels, s, _, _ in batch if s is None]
            ref_of = {labels: head.next_ref + i for i, labels in enumerate(new)}
            recs = [records.encode_series(list(ref_of.values()), new)] if new else []
            if batch:
                refs: list[int] = []
                all_ts: list[int] = []
                all_vs: list[float] = []
                for labels, s, tl, vl in batch:
                    ref = s.ref if s is not None else ref_of[labels]
                    refs.extend([ref] * len(tl))
                    all_ts.extend(tl)
                    all_vs.extend(vl)
                recs.append(
                    records.encode_samples(
                        np.array(refs, dtype=np.int64),
                        np.array(all_ts, dtype=np.int64),
                        np.array(all_vs, dtype=np.float64),
                    )
                )
            if cols is not None:
                col_refs = np.fromiter((s.ref for s in cols.series), np.int64, len(cols.series))
                recs.append(records.encode_samples(col_refs, cols.ts, cols.vs))
            seq = self._wal.log(recs)  # raises before anything changed
            apply: list[tuple[MemSeries, list[int], list[float]]] = []
            for labels, s, tl, vl in batch:
                series = s if s is not None else head.create_series(labels, ref_of[labels])
                series.last_t = tl[-1]
                series.last_bits = _bits(vl[-1])
                apply.append((series, tl, vl))
            col_ts: list[int] = []
            col_vs: list[float] = []
            if cols is not None:
                col_ts, col_vs = cols.ts.tolist(), cols.vs.tolist()
                for series, t, b in zip(
                    cols.series, col_ts, cols.vs.view(np.uint64).tolist(), strict=True
                ):
                    series.last_t = t
                    series.last_bits = b
        try:
            self._wal.sync(seq)
        except BaseException:
            self._finish(seq, [])
            raise
        self._finish(seq, apply, cols.series if cols is not None else [], col_ts, col_vs)
        self._on_commit()

    def _merge_batches(self) -> None:
        """Keep one batch, and no series in both it and ``_pending``: otherwise
        the batches go through ``append`` (never in the scrape loop)."""
        if len(self._batches) == 1:
            cols = self._batches[0]
            by_labels = self._head.by_labels
            held = [s.ref for labels in self._pending if (s := by_labels.get(labels)) is not None]
            refs = np.fromiter((s.ref for s in cols.series), np.int64, len(cols.series))
            if not held or not np.isin(refs, held).any():
                return
        batches, self._batches = self._batches, []
        pending = self._pending
        for cols in batches:
            for s, t, v in zip(cols.series, cols.ts.tolist(), cols.vs.tolist(), strict=True):
                entry = pending.get(s.labels)
                if entry is None:
                    pending[s.labels] = ([t], [v])
                    continue
                # Both ways for one series: merged in timestamp order, first value
                # of a repeated timestamp kept.
                merged = sorted(
                    {**dict(zip(entry[0][::-1], entry[1][::-1], strict=True)), t: v}.items()
                )
                if t in entry[0]:
                    continue
                pending[s.labels] = ([m[0] for m in merged], [m[1] for m in merged])

    def _validate_columns(self, cols: _Columns) -> _Columns | None:
        """Another commit may have gone first since ``append_batch`` looked."""
        ss, ts, vs = cols.series, cols.ts, cols.vs
        head = self._head
        if head.dropped_series != cols.generation and any(
            head.series.get(s.ref) is not s for s in ss
        ):
            raise UnknownSeriesError("series dropped from the head since append_batch")
        n = len(ss)
        last = np.fromiter((s.last_t for s in ss), np.int64, n)
        if not (ts > last).all():
            if (ts < last).any():
                raise OutOfOrderSampleError("out of order sample")
            last_bits = np.fromiter((s.last_bits for s in ss), np.uint64, n)
            if ((ts == last) & (vs.view(np.uint64) != last_bits)).any():
                raise DuplicateSampleError("duplicate sample for timestamp")
            keep = np.flatnonzero(ts > last)
            if not keep.size:
                return None
            ss, ts, vs = [ss[i] for i in keep.tolist()], ts[keep], vs[keep]
        if int(ts.min()) < self._head.min_valid_t:
            raise OutOfBoundsError("out of bounds")
        return _Columns(ss, ts, vs, cols.generation)

    def _validate(
        self, pending: dict[Labels, tuple[list[int], list[float]]]
    ) -> list[tuple[Labels, MemSeries | None, list[int], list[float]]]:
        head = self._head
        batch: list[tuple[Labels, MemSeries | None, list[int], list[float]]] = []
        for labels, (tl, vl) in pending.items():
            if tl[0] < head.min_valid_t:
                raise OutOfBoundsError("out of bounds")
            s = head.by_labels.get(labels)
            if s is not None and not check_order(s.last_t, s.last_bits, tl[0], vl[0]):
                tl, vl = tl[1:], vl[1:]
            if tl:
                batch.append((labels, s, tl, vl))
        return batch

    def _finish(
        self,
        seq: int,
        apply: list[tuple[MemSeries, list[int], list[float]]],
        col_series: list[MemSeries] | None = None,
        col_ts: list[int] | None = None,
        col_vs: list[float] | None = None,
    ) -> None:
        """Apply in sequence order (a failed sync applies nothing but keeps the order)."""
        head = self._head
        with head.lock:
            while head.applied_seq < seq - 1:
                head.lock.wait()
            head.apply(apply)
            if col_series:
                head.apply_columns(col_series, col_ts or [], col_vs or [])
            head.applied_seq = seq
            head.lock.notify_all()
