"""The remote-write queue's durable log: what was committed, waiting to be sent.

``QueueLog`` is an ``Appendable``: the composition root fans every commit out
to the TSDB and to this log (``fanout.FanoutAppendable``). A commit is written
as WAL records (``lab.server.tsdb.wal`` segments, ``lab.server.tsdb.records``
series/samples codec) and fsynced before ``commit`` returns, so a sample the
scrape loop saw committed survives ``kill -9`` and will be sent.

Each segment is self-contained: the first time a series appears in a segment
its series record is written there (refs restart per segment). So a reader
can start in any segment, and a segment every queue has sent past can simply
be deleted (``truncate_before``) — no checkpoint of series is needed.

``LogTail`` reads the log from a ``Position`` (segment, byte offset) up to
the durable end the writer publishes, one samples record at a time.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.server.remote.errors import QueueLogError
from lab.server.tsdb import records
from lab.server.tsdb.errors import TSDBError
from lab.server.tsdb.wal import HEADER_SIZE, WAL, list_segments, read_records, segment_name

DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in the log: a segment and a byte offset in it (a record boundary)."""

    segment: int
    offset: int


class QueueLog:
    """An append-only, fsynced log of committed samples in ``directory``."""

    def __init__(self, directory: Path, segment_bytes: int = DEFAULT_SEGMENT_BYTES) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        directory.mkdir(parents=True, exist_ok=True)
        # Repair a torn tail left by a crash before the writer opens a new segment.
        for _ in read_records(directory, 0, repair=True):
            pass
        # Our own segment cutting (the WAL's is disabled with a huge size), so the
        # per-segment series map resets exactly at a cut.
        try:
            self._wal = WAL(directory, segment_size=1 << 62)
        except TSDBError as exc:
            raise QueueLogError(f"remote-write queue log {directory}: {exc}") from None
        self._lock = threading.Lock()
        self._refs: dict[Labels, int] = {}
        self._size = 0
        self._end = Position(self._wal.segment, 0)
        self._listeners: list[Callable[[], None]] = []

    # -- writing ------------------------------------------------------------------------

    def appender(self) -> QueueLogAppender:
        return QueueLogAppender(self)

    def add_listener(self, callback: Callable[[], None]) -> None:
        """``callback()`` runs (in the committing thread) after each durable commit."""
        with self._lock:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    @property
    def end(self) -> Position:
        """The end of what is durable: readers never read past it."""
        return self._end

    def write(self, labels: list[Labels], ts: npt.NDArray[np.int64],
              vs: npt.NDArray[np.float64]) -> None:  # fmt: skip
        """Log samples (``labels[i]`` is sample i's series) and fsync."""
        if not labels:
            return
        with self._lock:
            new: list[Labels] = []
            refs = np.empty(len(labels), dtype=np.int64)
            for i, lset in enumerate(labels):
                ref = self._refs.get(lset)
                if ref is None:
                    ref = len(self._refs)
                    self._refs[lset] = ref
                    new.append(lset)
                refs[i] = ref
            recs = []
            if new:
                first = len(self._refs) - len(new)
                recs.append(records.encode_series(range(first, len(self._refs)), new))
            recs.append(records.encode_samples(refs, ts, vs))
            try:
                seq = self._wal.log(recs)
                self._wal.sync(seq)
            except TSDBError as exc:
                # What was written is not acknowledged; forget the series so the
                # next commit writes their records again.
                self._refs = {k: v for k, v in self._refs.items() if k not in set(new)}
                raise QueueLogError(f"remote-write queue log: {exc}") from None
            self._size += sum(HEADER_SIZE + len(r) for r in recs)
            self._end = Position(self._wal.segment, self._size)
            if self._size >= self.segment_bytes:
                self._wal.cut()
                self._refs = {}
                self._size = 0
                self._end = Position(self._wal.segment, 0)
            listeners = list(self._listeners)
        for callback in listeners:
            callback()

    def segments(self) -> list[int]:
        return list_segments(self.directory)

    def truncate_before(self, segment: int) -> None:
        """Delete segments below ``segment`` (every queue has sent past them)."""
        self._wal.truncate_before(min(segment, self._wal.segment))

    def close(self) -> None:
        self._wal.close()


class QueueLogAppender:
    """Buffers a transaction; ``commit`` logs and fsyncs it."""

    def __init__(self, log: QueueLog) -> None:
        self._log = log
        self._labels: list[Labels] = []
        self._ts: list[int] = []
        self._vs: list[float] = []

    def append(self, labels: Labels, t_ms: int, value: float) -> None:
        self._labels.append(labels)
        self._ts.append(t_ms)
        self._vs.append(value)

    def commit(self) -> None:
        labels, ts, vs = self._labels, self._ts, self._vs
        self.rollback()
        self._log.write(labels, np.array(ts, dtype=np.int64), np.array(vs, dtype=np.float64))

    def rollback(self) -> None:
        self._labels, self._ts, self._vs = [], [], []


@dataclass(frozen=True, slots=True)
class Entry:
    """One samples record: sample i belongs to ``labels[i]``; ``end`` is the
    position just after the record."""

    labels: list[Labels]
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    end: Position


class LogTail:
    """Reads samples records from ``start`` on; keeps each segment's series map."""

    def __init__(self, directory: Path, start: Position) -> None:
        self.directory = directory
        self.position = start
        self._segment = -1
        self._data = b""
        self._refs: dict[int, Labels] = {}
        segs = list_segments(directory)
        if segs and start.segment < segs[0]:
            # Our segment was deleted (every queue was past it): resume at the oldest.
            self.position = Position(segs[0], 0)
        self._load(self.position.segment, upto=self.position.offset)

    def _load(self, segment: int, upto: int) -> None:
        """Switch to ``segment``, learning its series records before ``upto``."""
        self._segment = segment
        self._refs = {}
        offset = 0
        path = self.directory / segment_name(segment)
        data = path.read_bytes()[:upto] if path.exists() else b""
        while offset < len(data):
            payload, offset = _frame(data, offset)
            if payload is None:
                break
            rec = records.decode(payload)
            if isinstance(rec, records.SeriesRecord):
                self._refs.update(zip(rec.refs, rec.labels, strict=True))

    def read(self, end: Position, max_samples: int) -> list[Entry]:
        """Records after ``position`` and before ``end``, until ``max_samples`` samples
        are collected (at least one record if any). Advances ``position``."""
        out: list[Entry] = []
        n = 0
        while self.position < end and n < max_samples:
            pos = self.position
            limit = end.offset if pos.segment == end.segment else None
            path = self.directory / segment_name(pos.segment)
            try:
                with path.open("rb") as f:
                    f.seek(pos.offset)
                    data = f.read() if limit is None else f.read(limit - pos.offset)
            except FileNotFoundError:
                data = b""
            offset = 0
            while offset < len(data) and n < max_samples:
                payload, next_offset = _frame(data, offset)
                if payload is None:
                    break
                offset = next_offset
                rec = records.decode(payload)
                end_pos = Position(pos.segment, pos.offset + offset)
                if isinstance(rec, records.SeriesRecord):
                    self._refs.update(zip(rec.refs, rec.labels, strict=True))
                    self.position = end_pos
                    continue
                if isinstance(rec, records.TombstonesRecord):
                    # Deletions are local to the TSDB; remote write only ships samples.
                    self.position = end_pos
                    continue
                try:
                    labels = [self._refs[r] for r in rec.refs.tolist()]
                except KeyError as exc:
                    raise QueueLogError(
                        f"queue log segment {pos.segment}: sample for unknown series ref {exc}"
                    ) from None
                out.append(Entry(labels, rec.timestamps, rec.values, end_pos))
                n += len(labels)
                self.position = end_pos
            if n >= max_samples or self.position >= end:
                break
            if limit is None and offset >= len(data):
                # The rest of this (finished) segment is consumed: go on to the next.
                later = [s for s in list_segments(self.directory) if s > pos.segment]
                if not later:
                    break
                self.position = Position(later[0], 0)
                self._load(later[0], upto=0)
            elif offset < len(data) or limit is not None:
                break
        return out


def _frame(data: bytes, offset: int) -> tuple[bytes | None, int]:
    """The payload of the frame at ``offset`` and the next offset; None if torn."""
    if offset + HEADER_SIZE > len(data):
        return None, offset
    length = int.from_bytes(data[offset : offset + 4], "little")
    crc = int.from_bytes(data[offset + 4 : offset + 8], "little")
    end = offset + HEADER_SIZE + length
    if length == 0 or end > len(data):
        return None, offset
    payload = data[offset + HEADER_SIZE : end]
    if zlib.crc32(payload) != crc:
        return None, offset
    return payload, end
