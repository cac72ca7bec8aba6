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

import struct
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
            # Plain lists until the record is encoded: a scrape commits one
            # sample for each of many series, where per-series arrays cost more.
            new = [labels for labels, s, _, _ in batch if s is None]
            ref_of = {labels: head.next_ref + i for i, labels in enumerate(new)}
            recs = [records.encode_series(list(ref_of.values()), new)] if new else []
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
            seq = self._wal.log(recs)  # raises before anything changed
            apply: list[tuple[MemSeries, list[int], list[float]]] = []
            for labels, s, tl, vl in batch:
                series = s if s is not None else head.create_series(labels, ref_of[labels])
                series.last_t = tl[-1]
                series.last_bits = _bits(vl[-1])
                apply.append((series, tl, vl))
        try:
            self._wal.sync(seq)
        except BaseException:
            self._finish(seq, [])
            raise
        self._finish(seq, apply)
        self._on_commit()

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

    def _finish(self, seq: int, apply: list[tuple[MemSeries, list[int], list[float]]]) -> None:
        """Apply in sequence order (a failed sync applies nothing but keeps the order)."""
        head = self._head
        with head.lock:
            while head.applied_seq < seq - 1:
                head.lock.wait()
            head.apply(apply)
            head.applied_seq = seq
            head.lock.notify_all()
