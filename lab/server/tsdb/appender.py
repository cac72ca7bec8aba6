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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.server.storage.errors import DuplicateSampleError, OutOfOrderSampleError
from lab.server.tsdb import records
from lab.server.tsdb.errors import ClosedError, OutOfBoundsError, TSDBError
from lab.server.tsdb.head import Head, MemSeries

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


class _Log(Protocol):
    def log(self, records: list[bytes]) -> int: ...

    def sync(self, seq: int) -> None: ...


def _bits(value: float) -> int:
    return int(np.float64(value).view(np.uint64))


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

    def __init__(
        self, head: Head, wal: _Log, is_open: Callable[[], bool], on_commit: Callable[[], None]
    ) -> None:
        self._head = head
        self._wal = wal
        self._is_open = is_open
        self._on_commit = on_commit
        self._pending: dict[Labels, tuple[list[int], list[float]]] = {}

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

    def commit(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        head = self._head
        with head.lock:
            if not self._is_open():
                raise ClosedError("TSDB is closed")
            batch = self._validate(pending)
            if not batch:
                return
            new = [(labels, ts, vs) for labels, s, ts, vs in batch if s is None]
            new_refs = list(range(head.next_ref, head.next_ref + len(new)))
            recs = []
            if new:
                recs.append(records.encode_series(new_refs, [labels for labels, _, _ in new]))
            ref_of = dict(zip((labels for labels, _, _ in new), new_refs, strict=True))
            refs = np.concatenate(
                [
                    np.full(ts.size, ref_of[labels] if s is None else s.ref, dtype=np.int64)
                    for labels, s, ts, _ in batch
                ]
            )
            all_ts = np.concatenate([ts for _, _, ts, _ in batch])
            all_vs = np.concatenate([vs for _, _, _, vs in batch])
            recs.append(records.encode_samples(refs, all_ts, all_vs))
            seq = self._wal.log(recs)  # raises before anything changed
            apply: list[tuple[MemSeries, I64, F64]] = []
            for labels, s, ts, vs in batch:
                series = s if s is not None else head.create_series(labels, ref_of[labels])
                series.last_t = int(ts[-1])
                series.last_bits = int(vs[-1:].view(np.uint64)[0])
                apply.append((series, ts, vs))
        try:
            self._wal.sync(seq)
        except BaseException:
            self._finish(seq, [])
            raise
        self._finish(seq, apply)
        self._on_commit()

    def _validate(
        self, pending: dict[Labels, tuple[list[int], list[float]]]
    ) -> list[tuple[Labels, MemSeries | None, I64, F64]]:
        head = self._head
        batch: list[tuple[Labels, MemSeries | None, I64, F64]] = []
        for labels, (tl, vl) in pending.items():
            ts = np.array(tl, dtype=np.int64)
            vs = np.array(vl, dtype=np.float64)
            if tl[0] < head.min_valid_t:
                raise OutOfBoundsError("out of bounds")
            s = head.by_labels.get(labels)
            if s is not None and not check_order(s.last_t, s.last_bits, tl[0], vl[0]):
                ts, vs = ts[1:], vs[1:]
            if ts.size:
                batch.append((labels, s, ts, vs))
        return batch

    def _finish(self, seq: int, apply: list[tuple[MemSeries, I64, F64]]) -> None:
        """Apply in sequence order (a failed sync applies nothing but keeps the order)."""
        head = self._head
        with head.lock:
            while head.applied_seq < seq - 1:
                head.lock.wait()
            head.apply(apply)
            head.applied_seq = seq
            head.lock.notify_all()
