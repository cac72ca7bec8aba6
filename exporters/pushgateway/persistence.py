"""Durability: every acknowledged write is in an fsync'd log before the answer.

Layout, next to ``--persistence.file`` (``F``):

* ``F`` — the snapshot: the whole state as of some log segment ``N``
  (written to ``F.tmp``, fsync'd, renamed, directory fsync'd).
* ``F.wal.<seq>`` — log segments; replay applies the segments after ``N``.

Each record is framed as ``length (u32 BE) | crc32 (u32 BE) | JSON``. A torn
or corrupt frame (a crash mid-write) ends its segment: the file is truncated
there with a warning and start-up goes on with the rest.

Group commit: ``journal()`` (synchronous, called by the store on the event
loop in write order) only buffers the frame; ``await sync()`` waits until one
flusher task has written and fsync'd everything buffered so far, so pushes
arriving during an fsync share the next one. Every ``--persistence.interval``
(and at shutdown) ``compact()`` takes a snapshot and starts a new segment in
the same synchronous step, so the snapshot covers exactly the older segments.

The format is private to promlab (upstream's is Go gob); the file name and
flags are upstream's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from .errors import PersistenceError
from .store import Record, Store

log = logging.getLogger("promlab.pushgateway")
_HEADER: Final = struct.Struct(">II")
_SNAPSHOT_VERSION: Final = 1


#: One encoder for every frame: ``json.dumps`` with arguments builds a new
#: one per call, a measurable share of a push's CPU.
_ENCODE: Final = json.JSONEncoder(separators=(",", ":")).encode


def frame(record: Record) -> bytes:
    payload = _ENCODE(record).encode()
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def read_frames(data: bytes) -> tuple[list[Record], int]:
    """The records of ``data`` and the offset where valid data ends."""
    records: list[Record] = []
    pos = 0
    while pos < len(data):
        if pos + _HEADER.size > len(data):
            break
        length, crc = _HEADER.unpack_from(data, pos)
        start, end = pos + _HEADER.size, pos + _HEADER.size + length
        payload = data[start:end]
        if end > len(data) or zlib.crc32(payload) != crc:
            break
        try:
            record = json.loads(payload)
        except ValueError:
            break
        records.append(record)
        pos = end
    return records, pos


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Persistence:
    """The log and snapshot for one ``--persistence.file``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.segment = 0
        self._pending: list[tuple[int, bytes]] = []
        self._appended = 0
        self._synced = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._fd: tuple[int, int] | None = None  # (segment, fd) of the open segment
        self._compacted_version = -1
        #: Records written and fsync'd (for the pushgateway's own metrics).
        self.fsyncs = 0

    # --- start-up ------------------------------------------------------------------

    def _segments(self) -> Iterator[tuple[int, Path]]:
        prefix = self.path.name + ".wal."
        if not self.path.parent.is_dir():
            return
        for entry in self.path.parent.iterdir():
            if entry.name.startswith(prefix) and entry.name[len(prefix) :].isdigit():
                yield int(entry.name[len(prefix) :]), entry

    def load(self, store: Store) -> int:
        """Rebuild ``store`` from the snapshot and the newer segments; returns
        the number of records replayed. Torn tails are truncated with a warning."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PersistenceError(f"cannot create {self.path.parent}: {exc}") from None
        covers = 0
        count = 0
        if self.path.exists():
            data = self.path.read_bytes()
            records, end = read_frames(data)
            if not records or records[0].get("v") != _SNAPSHOT_VERSION or end != len(data):
                log.error(
                    "persistence file %s is not a promlab snapshot or is damaged; "
                    "ignoring it (%d bytes)",
                    self.path,
                    len(data),
                )
            else:
                covers = int(records[0]["covers"])
                for record in records[1:]:
                    store.apply(record)
                count += len(records) - 1
        segments = sorted(self._segments())
        for seq, path in segments:
            if seq <= covers:
                path.unlink(missing_ok=True)
                continue
            data = path.read_bytes()
            records, end = read_frames(data)
            if end != len(data):
                log.warning(
                    "persistence log %s: torn or corrupt record at byte %d; dropping the "
                    "last %d bytes (a write that was never acknowledged)",
                    path,
                    end,
                    len(data) - end,
                )
                with path.open("r+b") as fh:
                    fh.truncate(end)
                    os.fsync(fh.fileno())
            for record in records:
                store.apply(record)
            count += len(records)
        self.segment = max([covers, *(seq for seq, _ in segments)]) + 1
        # Replayed segments are folded into the snapshot at the next compaction.
        replayed = any(seq > covers for seq, _ in segments)
        self._compacted_version = -1 if replayed else store.version
        return count

    # --- the log -------------------------------------------------------------------

    def journal(self, record: Record) -> None:
        """Buffer ``record`` (synchronous; durability comes with ``sync``)."""
        self._pending.append((self.segment, frame(record)))
        self._appended += 1
        self._kick()

    def _kick(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def sync(self) -> None:
        """Return once every record journaled so far is fsync'd."""
        target = self._appended
        if self._synced >= target:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._kick()
        await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            upto = self._appended
            error: Exception | None = None
            try:
                await asyncio.to_thread(self._write, batch)
            except OSError as exc:
                log.error("persistence log write failed: %s", exc)
                error = PersistenceError(f"cannot persist the write: {exc}")
            self._synced = upto
            still = []
            for target, future in self._waiters:
                if target <= upto:
                    if not future.done():
                        if error is None:
                            future.set_result(None)
                        else:
                            future.set_exception(error)
                else:
                    still.append((target, future))
            self._waiters = still

    def _segment_path(self, seq: int) -> Path:
        return self.path.with_name(f"{self.path.name}.wal.{seq:08d}")

    def _write(self, batch: list[tuple[int, bytes]]) -> None:
        """In a worker thread: append and fsync, segment by segment."""
        by_segment: dict[int, list[bytes]] = {}
        for seq, data in batch:
            by_segment.setdefault(seq, []).append(data)
        for seq, frames in sorted(by_segment.items()):
            fd, temporary = self._open(seq)
            try:
                view = memoryview(b"".join(frames))
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                self.fsyncs += 1
            finally:
                if temporary:
                    os.close(fd)

    def _open(self, seq: int) -> tuple[int, bool]:
        """The fd for segment ``seq``; True if it is an older one to close after use."""
        if self._fd is not None and self._fd[0] == seq:
            return self._fd[1], False
        path = self._segment_path(seq)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if created:
            _fsync_dir(path.parent)  # the new file's name must survive a crash too
        if self._fd is not None and self._fd[0] > seq:
            return fd, True
        if self._fd is not None:
            os.close(self._fd[1])
        self._fd = (seq, fd)
        return fd, False

    # --- compaction ----------------------------------------------------------------

    async def compact(self, store: Store) -> bool:
        """Snapshot ``store`` if it changed; older segments are then removed."""
        if store.version == self._compacted_version:
            return False
        records = store.snapshot()
        covers = self.segment
        self.segment += 1
        self._compacted_version = store.version
        await asyncio.to_thread(self._write_snapshot, records, covers)
        for seq, path in list(self._segments()):
            if seq <= covers:
                path.unlink(missing_ok=True)
        return True

    def _write_snapshot(self, records: list[Record], covers: int) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        head: dict[str, Any] = {"v": _SNAPSHOT_VERSION, "covers": covers}
        with tmp.open("wb") as fh:
            fh.write(frame(head))
            for record in records:
                fh.write(frame(record))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    async def close(self, store: Store) -> None:
        """Flush, snapshot and close (graceful shutdown)."""
        await self.sync()
        if self._flusher is not None:
            await self._flusher
        await self.compact(store)
        if self._fd is not None:
            os.close(self._fd[1])
            self._fd = None
