"""The write-ahead log: numbered segment files of opaque, checksummed records.

Each record is framed as ``u32 length | u32 CRC32(payload) | payload`` (little
endian). The log knows nothing about what records mean (``records.py`` does).
Segments are cut at ``segment_size`` bytes; a new log always starts a fresh
segment, so a tail repaired at startup is never appended to.

Writes go straight to the file descriptor (no user-space buffer), so
``sync(seq)`` — one fsync — makes every record up to ``seq`` durable. Several
committers calling ``sync`` at once share one fsync (group commit): whoever
gets the sync lock syncs everything written so far, the others find their
record already covered.

Reading (``read_records``) stops at the first torn or corrupt frame; with
``repair`` it truncates that segment there and deletes the later ones, with a
warning — a crash mid-write loses only the unacknowledged tail.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from lab.server.tsdb.errors import ClosedError, WALError
from lab.server.tsdb.fileutil import fsync_dir

log = logging.getLogger(__name__)

DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024
HEADER_SIZE = 8
_SEGMENT_NAME = re.compile(r"^\d{8}$")


def segment_name(index: int) -> str:
    return f"{index:08d}"


def list_segments(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    return sorted(int(p.name) for p in directory.iterdir() if _SEGMENT_NAME.match(p.name))


def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "little") + zlib.crc32(payload).to_bytes(4, "little") + payload


class WAL:
    """An append-only segmented log in ``directory`` (created if missing)."""

    def __init__(self, directory: Path, segment_size: int = DEFAULT_SEGMENT_SIZE) -> None:
        self.directory = directory
        self.segment_size = segment_size
        directory.mkdir(parents=True, exist_ok=True)
        existing = list_segments(directory)
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = 0  # sequence number of the last record written
        self._synced = 0
        self._fd = -1
        self._segment = -1
        self._size = 0
        self._open_segment(existing[-1] + 1 if existing else 0)

    # -- writing ----------------------------------------------------------------

    @property
    def last_seq(self) -> int:
        """Sequence number of the last record written."""
        return self._written

    @property
    def segment(self) -> int:
        """Index of the segment being written."""
        return self._segment

    def _open_segment(self, index: int) -> None:
        path = self.directory / segment_name(index)
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            fsync_dir(self.directory)
        except OSError as exc:
            raise WALError(f"create WAL segment {path}: {exc}") from exc
        self._segment = index
        self._size = os.fstat(self._fd).st_size

    def log(self, records: Sequence[bytes]) -> int:
        """Append records (not yet durable); returns the sequence number for ``sync``."""
        data = b"".join(frame(r) for r in records)
        with self._write_lock:
            if self._fd < 0:
                raise ClosedError("WAL is closed")
            if self._size and self._size + len(data) > self.segment_size:
                self._cut_locked()
            try:
                view = memoryview(data)
                while view:
                    n = os.write(self._fd, view)
                    view = view[n:]
            except OSError as exc:
                raise WALError(f"write WAL segment {self._segment}: {exc}") from exc
            self._size += len(data)
            self._written += 1
            return self._written

    def sync(self, seq: int) -> None:
        """Make every record up to ``seq`` durable (group commit: one fsync for many)."""
        with self._sync_lock:
            if self._synced >= seq:
                return
            with self._write_lock:
                if self._fd < 0:
                    raise ClosedError("WAL is closed")
                target = self._written
                # A duplicate descriptor stays valid if a cut closes the current one.
                fd = os.dup(self._fd)
            try:
                os.fsync(fd)
            except OSError as exc:
                raise WALError(f"fsync WAL: {exc}") from exc
            finally:
                os.close(fd)
            self._synced = target

    def cut(self) -> int:
        """Close the current segment (synced) and start the next; returns the new index."""
        with self._write_lock:
            if self._fd < 0:
                raise ClosedError("WAL is closed")
            self._cut_locked()
            return self._segment

    def _cut_locked(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise WALError(f"fsync WAL: {exc}") from exc
        os.close(self._fd)
        self._open_segment(self._segment + 1)

    def truncate_before(self, index: int) -> None:
        """Delete segments numbered below ``index`` (they are in a checkpoint or a block)."""
        for seg in list_segments(self.directory):
            if seg < index and seg != self._segment:
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / segment_name(seg)).unlink()

    def size_bytes(self) -> int:
        total = 0
        for p in self.directory.rglob("*"):
            with contextlib.suppress(FileNotFoundError):
                if p.is_file():
                    total += p.stat().st_size
        return total

    def close(self) -> None:
        with self._sync_lock, self._write_lock:
            if self._fd < 0:
                return
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = -1


def read_records(directory: Path, first_segment: int = 0, repair: bool = True) -> Iterator[bytes]:
    """Every record of segments ``>= first_segment`` in order, up to the first bad frame.

    A bad frame (torn header or payload, checksum mismatch, absurd length) ends
    the log: with ``repair`` its segment is truncated there and later segments
    are deleted; either way a warning is logged, never an exception.
    """
    segments = [s for s in list_segments(directory) if s >= first_segment]
    for pos, seg in enumerate(segments):
        path = directory / segment_name(seg)
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            bad = _check_frame(data, offset)
            if bad:
                _corrupt_tail(directory, segments[pos:], offset, bad, repair)
                return
            length = int.from_bytes(data[offset : offset + 4], "little")
            yield data[offset + HEADER_SIZE : offset + HEADER_SIZE + length]
            offset += HEADER_SIZE + length


def _check_frame(data: bytes, offset: int) -> str:
    if offset + HEADER_SIZE > len(data):
        return "torn record header"
    length = int.from_bytes(data[offset : offset + 4], "little")
    if length == 0:
        return "zero-length record"
    end = offset + HEADER_SIZE + length
    if end > len(data):
        return f"torn record ({length} bytes announced, {len(data) - offset - HEADER_SIZE} left)"
    crc = int.from_bytes(data[offset + 4 : offset + 8], "little")
    if zlib.crc32(data[offset + HEADER_SIZE : end]) != crc:
        return "checksum mismatch"
    return ""


def _corrupt_tail(
    directory: Path, segments: list[int], offset: int, reason: str, repair: bool
) -> None:
    seg, later = segments[0], segments[1:]
    action = "truncating it there" if repair else "ignoring the rest (read-only)"
    log.warning(
        "WAL segment %s is corrupt at byte %d (%s): %s%s",
        segment_name(seg),
        offset,
        reason,
        action,
        f" and dropping {len(later)} later segment(s)" if later and repair else "",
    )
    if not repair:
        return
    path = directory / segment_name(seg)
    with path.open("r+b") as f:
        f.truncate(offset)
        os.fsync(f.fileno())
    for s in later:
        with contextlib.suppress(FileNotFoundError):
            (directory / segment_name(s)).unlink()
    fsync_dir(directory)
