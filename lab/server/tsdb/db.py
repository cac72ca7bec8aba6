"""``DB``: the head, the WAL, blocks, compaction and retention in one storage.

Directory layout (see FORMAT.md)::

    DIR/lock                  flock'd while a writer has the DB open
    DIR/wal/00000000 ...      segments; DIR/wal/checkpoint.NNNNNNNN/
    DIR/<ULID>/               blocks (meta.json, index, chunks/)

``DB.open`` replays the newest checkpoint and the WAL after it into the head
(a torn tail is cut with a warning). ``compact()`` — called explicitly, or by
a background thread when ``compact_interval_s`` is given — cuts the head's
oldest block range into a block once the head spans 1.5 ranges, truncates the
head and checkpoints the WAL, merges blocks (2h -> 6h -> 18h ...), and applies
retention. Time retention is measured back from the newest block's end, as
upstream does; the injected clock stamps block ULIDs and drives the
background schedule.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from lab.model.matcher import Matcher
from lab.server.tsdb import records
from lab.server.tsdb.appender import HeadAppender
from lab.server.tsdb.block import Block, BlockMeta, is_ulid, new_ulid, write_block
from lab.server.tsdb.checkpoint import (
    delete_checkpoints_before,
    last_checkpoint,
    write_checkpoint,
)
from lab.server.tsdb.compact import (
    DEFAULT_BLOCK_RANGE_MS,
    MAX_BLOCK_DURATION_MS,
    beyond_retention,
    block_ranges,
    merge_series,
    plan,
)
from lab.server.tsdb.errors import ClosedError, CorruptionError, LockedError, TSDBError
from lab.server.tsdb.fileutil import fsync_dir
from lab.server.tsdb.head import MAX_TIME, MIN_TIME, Head, MemSeries
from lab.server.tsdb.querier import DBQuerier
from lab.server.tsdb.stats import cardinality
from lab.server.tsdb.wal import DEFAULT_SEGMENT_SIZE, WAL, read_records

log = logging.getLogger(__name__)

DEFAULT_RETENTION_MS = 15 * 24 * 3_600_000


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class _SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """What one ``compact()`` did, by block ULID."""

    head_blocks: tuple[str, ...] = ()
    merged_blocks: tuple[str, ...] = ()
    deleted_blocks: tuple[str, ...] = ()


class DB:
    """A durable TSDB in a directory; ``Appendable`` and ``Queryable``."""

    def __init__(
        self,
        path: Path,
        *,
        retention_time_ms: int | None,
        retention_size_bytes: int | None,
        clock: Clock,
        block_range_ms: int,
        segment_size: int,
        read_only: bool,
    ) -> None:
        self.path = path
        self.retention_time_ms = retention_time_ms
        self.retention_size_bytes = retention_size_bytes
        self.clock = clock
        self.block_range_ms = block_range_ms
        max_duration = MAX_BLOCK_DURATION_MS
        if retention_time_ms:
            max_duration = min(max_duration, max(retention_time_ms // 10, block_range_ms))
        self.ranges = block_ranges(block_range_ms, max_duration)
        self.read_only = read_only
        self.head = Head()
        self._blocks: list[Block] = []
        self._blocks_lock = threading.Lock()
        self._compact_lock = threading.Lock()
        self._open = True
        self._lock_fd = -1
        self._wal: WAL | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if not read_only:
            path.mkdir(parents=True, exist_ok=True)
            self._take_lock()
        try:
            self._load_blocks()
            self._replay(segment_size)
        except BaseException:
            self._release()
            raise

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        retention_time_ms: int | None = DEFAULT_RETENTION_MS,
        retention_size_bytes: int | None = None,
        clock: Clock | None = None,
        block_range_ms: int = DEFAULT_BLOCK_RANGE_MS,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        read_only: bool = False,
        compact_interval_s: float | None = None,
    ) -> DB:
        """Open (or create) the TSDB in ``path``; replays its WAL into the head.

        ``read_only`` opens without the lock or a WAL writer (for ``promlab tsdb
        stats``): queries work, appends and compaction raise ``TSDBError``.
        ``compact_interval_s`` starts a background thread calling ``compact()``.
        """
        db = cls(
            Path(path),
            retention_time_ms=retention_time_ms,
            retention_size_bytes=retention_size_bytes,
            clock=clock or _SystemClock(),
            block_range_ms=block_range_ms,
            segment_size=segment_size,
            read_only=read_only,
        )
        if compact_interval_s is not None and not read_only:
            db._start_background(compact_interval_s)
        return db

    # -- opening ------------------------------------------------------------------

    def _take_lock(self) -> None:
        fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise LockedError(f"{self.path} is locked by another process") from None
        self._lock_fd = fd

    def _release(self) -> None:
        if self._wal is not None:
            self._wal.close()
            self._wal = None
        for b in self._blocks:
            b.close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _load_blocks(self) -> None:
        if not self.path.is_dir():
            raise TSDBError(f"{self.path}: no such directory")
        blocks = []
        for p in sorted(self.path.iterdir()):
            if p.name.endswith((".tmp-for-creation", ".tmp-for-deletion")):
                if not self.read_only:
                    shutil.rmtree(p, ignore_errors=True)  # a crash mid-write or mid-delete
                continue
            if p.is_dir() and is_ulid(p.name) and (p / "meta.json").exists():
                blocks.append(Block(p))
        # A crash between writing a merged block and deleting its parents leaves both.
        parents = {u for b in blocks for u in b.meta.parents}
        for b in blocks:
            if b.meta.ulid in parents:
                if self.read_only:
                    b.close()
                else:
                    b.delete()
        self._blocks = sorted(
            (b for b in blocks if b.meta.ulid not in parents), key=lambda b: b.meta.min_time
        )
        if self._blocks:
            self.head.min_valid_t = max(b.meta.max_time for b in self._blocks)

    def _replay(self, segment_size: int) -> None:
        wal_dir = self.path / "wal"
        first = 0
        cp = last_checkpoint(wal_dir)
        refmap: dict[int, int] = {}
        unknown = 0
        if cp is not None:
            for rec in read_records(cp[1], 0, repair=False):
                unknown += self._replay_record(rec, refmap)
            first = cp[0] + 1
        for rec in read_records(wal_dir, first, repair=not self.read_only):
            unknown += self._replay_record(rec, refmap)
        if unknown:
            log.warning("WAL replay: %d samples of unknown series skipped", unknown)
        if not self.read_only:
            self._wal = WAL(wal_dir, segment_size)

    def _replay_record(self, rec: bytes, refmap: dict[int, int]) -> int:
        head = self.head
        try:
            decoded = records.decode(rec)
        except CorruptionError as exc:
            log.warning("WAL replay: skipping undecodable record: %s", exc)
            return 0
        if isinstance(decoded, records.SeriesRecord):
            for ref, labels in zip(decoded.refs, decoded.labels, strict=True):
                existing = head.by_labels.get(labels)
                if existing is not None:
                    refmap[ref] = existing.ref
                elif ref in head.series:
                    refmap[ref] = head.create_series(labels).ref
                else:
                    head.create_series(labels, ref)
            return 0
        if isinstance(decoded, records.TombstonesRecord):
            for ref, mint, maxt in decoded.stones:
                s = head.series.get(refmap.get(ref, ref))
                if s is not None:
                    s.delete_range(mint, maxt)
            return 0
        refs = decoded.refs
        if refmap:
            uniq, inverse = np.unique(refs, return_inverse=True)
            refs = np.array([refmap.get(int(r), int(r)) for r in uniq], dtype=np.int64)[inverse]
        return head.apply_replayed(refs, decoded.timestamps, decoded.values)

    # -- the storage seams -----------------------------------------------------------

    def _is_open(self) -> bool:
        return self._open

    def appender(self) -> HeadAppender:
        if not self._open:
            raise ClosedError("TSDB is closed")
        if self._wal is None:
            raise TSDBError(f"{self.path} is open read-only")
        return HeadAppender(self.head, self._wal, self._is_open, self._after_commit)

    def _after_commit(self) -> None:
        if self._thread is not None and self._head_compactable():
            self._wake.set()

    def querier(self, mint_ms: int, maxt_ms: int) -> DBQuerier:
        if not self._open:
            raise ClosedError("TSDB is closed")
        with self._blocks_lock:
            blocks = [
                b for b in self._blocks if b.meta.min_time <= maxt_ms and b.meta.max_time > mint_ms
            ]
            for b in blocks:
                b.acquire()
        return DBQuerier([*blocks, self.head], blocks, mint_ms, maxt_ms)

    def blocks(self) -> list[BlockMeta]:
        with self._blocks_lock:
            return [b.meta for b in self._blocks]

    # -- compaction ------------------------------------------------------------------

    def _head_compactable(self) -> bool:
        with self.head.lock:
            mint = self.head.min_t()
            return mint != MAX_TIME and self.head.max_t - mint > self.block_range_ms * 3 // 2

    def compact(self) -> CompactionResult:
        """Cut head blocks, merge blocks, apply retention (see the module docstring)."""
        if self._wal is None or not self._open:
            raise TSDBError(f"{self.path} is closed or read-only")
        with self._compact_lock:
            made = []
            while self._head_compactable():
                made.append(self._compact_head())
            merged = []
            while True:
                group = plan(self.blocks(), self.ranges)
                if not group:
                    break
                merged.append(self._merge(group))
            deleted = self._apply_retention()
            return CompactionResult(tuple(made), tuple(merged), tuple(deleted))

    def _ms(self) -> int:
        return int(self.clock.now() * 1000)

    def _compact_head(self) -> str:
        rng = self.block_range_ms
        with self.head.lock:
            mint = self.head.min_t()
        start = mint - mint % rng
        end = start + rng
        data = list(self.head.range_data(start, end))
        meta = write_block(self.path, data, start, end, new_ulid(self._ms()))
        block = Block(self.path / meta.ulid)
        with self._blocks_lock:
            self._blocks = sorted([*self._blocks, block], key=lambda b: b.meta.min_time)
        self._truncate_head(end)
        return meta.ulid

    def _truncate_head(self, t: int) -> None:
        """Drop head data before ``t`` (now in a block) and checkpoint the WAL."""
        wal = self._wal
        assert wal is not None
        head = self.head
        with head.lock:
            # No commit may sit between its WAL write and its apply: the
            # checkpoint is taken from the head and must cover every record.
            while head.applied_seq < wal.last_seq:
                head.lock.wait(timeout=1.0)
            dropped = head.truncate(t)
            new_segment = wal.cut()
            write_checkpoint(self.path / "wal", new_segment - 1, self._head_records())
            wal.truncate_before(new_segment)
            delete_checkpoints_before(self.path / "wal", new_segment - 1)
        log.info("head truncated at %d: %d series dropped", t, dropped)

    def _head_records(self) -> Iterator[bytes]:
        series = sorted(self.head.series.values(), key=lambda s: s.ref)
        for i in range(0, len(series), 10_000):
            part = series[i : i + 10_000]
            yield records.encode_series([s.ref for s in part], [s.labels for s in part])
        batch: list[MemSeries] = []
        count = 0
        for s in series:
            if s.n:
                batch.append(s)
                count += s.n
            if count >= 100_000:
                yield self._samples_record(batch)
                batch, count = [], 0
        if batch:
            yield self._samples_record(batch)

    @staticmethod
    def _samples_record(batch: list[MemSeries]) -> bytes:
        cols = [s.samples() for s in batch]
        refs = np.concatenate(
            [np.full(c[0].size, s.ref, dtype=np.int64) for s, c in zip(batch, cols, strict=True)]
        )
        ts = np.concatenate([c[0] for c in cols])
        vs = np.concatenate([c[1] for c in cols])
        return records.encode_samples(refs, ts, vs)

    def _merge(self, group: list[BlockMeta]) -> str:
        ulids = {m.ulid for m in group}
        with self._blocks_lock:
            blocks = [b for b in self._blocks if b.meta.ulid in ulids]
        series = merge_series(blocks)
        meta = write_block(
            self.path,
            series,
            min(m.min_time for m in group),
            max(m.max_time for m in group),
            new_ulid(self._ms()),
            level=max(m.level for m in group) + 1,
            sources=sorted({s for m in group for s in (m.sources or (m.ulid,))}),
            parents=[m.ulid for m in group],
        )
        block = Block(self.path / meta.ulid)
        with self._blocks_lock:
            kept = [b for b in self._blocks if b.meta.ulid not in ulids]
            self._blocks = sorted([*kept, block], key=lambda b: b.meta.min_time)
        for b in blocks:
            b.delete()
        return meta.ulid

    def _apply_retention(self) -> list[str]:
        with self._blocks_lock:
            metas = [b.meta for b in self._blocks]
            sizes = {b.meta.ulid: b.size_bytes for b in self._blocks}
        wal_bytes = self._wal.size_bytes() if self._wal else 0
        doomed = beyond_retention(
            metas, self.retention_time_ms, self.retention_size_bytes, sizes, wal_bytes
        )
        ids = {m.ulid for m in doomed}
        with self._blocks_lock:
            gone = [b for b in self._blocks if b.meta.ulid in ids]
            self._blocks = [b for b in self._blocks if b.meta.ulid not in ids]
        for b in gone:
            log.info("retention: deleting block %s", b.meta.ulid)
            b.delete()
        return [b.meta.ulid for b in gone]

    def _start_background(self, interval_s: float) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                self._wake.wait(interval_s)
                self._wake.clear()
                if self._stop.is_set():
                    return
                try:
                    self.compact()
                except Exception:
                    log.exception("background compaction failed")

        self._thread = threading.Thread(target=loop, name="tsdb-compact", daemon=True)
        self._thread.start()

    # -- admin: deletion and snapshots ----------------------------------------------------

    def delete(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> None:
        """Delete the matching series' samples in ``[mint, maxt]``: at once in the
        head (logged to the WAL), as tombstones in blocks (``tombstones.py``)."""
        wal = self._wal
        if wal is None or not self._open:
            raise TSDBError(f"{self.path} is closed or read-only")
        # Not during a compaction: a merge reading parents would miss new tombstones.
        with self._compact_lock:
            head = self.head
            with head.lock:
                while head.applied_seq < wal.last_seq:  # no commit between log and apply
                    head.lock.wait(timeout=1.0)
                stones = head.delete(matchers, mint, maxt)
                seq = wal.log([records.encode_tombstones(stones)]) if stones else 0
                if seq:
                    head.applied_seq = seq
                    head.lock.notify_all()
            if seq:
                wal.sync(seq)
            with self._blocks_lock:
                blocks = list(self._blocks)
            for b in blocks:
                if b.meta.min_time <= maxt and b.meta.max_time > mint:
                    b.delete_range(matchers, mint, maxt)

    def clean_tombstones(self) -> list[str]:
        """Rewrite every block with tombstones without the deleted samples;
        returns the new blocks' ULIDs."""
        if self._wal is None or not self._open:
            raise TSDBError(f"{self.path} is closed or read-only")
        made = []
        with self._compact_lock:
            with self._blocks_lock:
                dirty = [b for b in self._blocks if b.tombstones]
            for old in dirty:
                m = old.meta
                meta = write_block(
                    self.path,
                    old.all_series(),
                    m.min_time,
                    m.max_time,
                    new_ulid(self._ms()),
                    level=m.level,
                    sources=m.sources,
                    parents=[m.ulid],  # a crash before the delete below drops the old one
                )
                block = Block(self.path / meta.ulid)
                with self._blocks_lock:
                    kept = [b for b in self._blocks if b is not old]
                    self._blocks = sorted([*kept, block], key=lambda b: b.meta.min_time)
                old.delete()
                made.append(meta.ulid)
        return made

    def snapshot(self, directory: str | os.PathLike[str], *, with_head: bool = True) -> None:
        """Hard-link every block into ``directory`` (created), and write the head
        as one more block unless ``with_head`` is false."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=False)
        # No compaction or retention deletes a block while it is being linked.
        with self._compact_lock:
            with self._blocks_lock:
                blocks = list(self._blocks)
            for b in blocks:
                for src in sorted(b.path.rglob("*")):
                    dst = target / b.meta.ulid / src.relative_to(b.path)
                    if src.is_dir():
                        dst.mkdir(parents=True, exist_ok=True)
                    else:
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        os.link(src, dst)
        if with_head:
            with self.head.lock:
                mint, maxt = self.head.min_t(), self.head.max_t
            if mint <= maxt:
                data = list(self.head.range_data(mint, maxt + 1))
                write_block(target, data, mint, maxt + 1, new_ulid(self._ms()))
        fsync_dir(target)

    # -- introspection ------------------------------------------------------------------

    def stats(self, limit: int = 10, include_blocks: bool = False) -> dict[str, object]:
        """Cardinality like /api/v1/status/tsdb (head only, or head and blocks)."""
        with self.head.lock:
            live = [s for s in self.head.series.values() if s.n]
            labels = {s.labels for s in live}
            mint = min((s.first_t() for s in live), default=MAX_TIME)
            maxt = max((s.max_t for s in live), default=MIN_TIME)
            chunks = sum(len(s.chunks) + (1 if s.tn else 0) for s in live)
        if include_blocks:
            with self._blocks_lock:
                blocks = list(self._blocks)
            for b in blocks:
                labels.update(b.index.labels(i) for i in range(b.index.num_series))
                mint, maxt = min(mint, b.meta.min_time), max(maxt, b.meta.max_time - 1)
        lists, pairs = cardinality(labels, limit)
        head_stats = {
            "numSeries": len(labels),
            "numLabelPairs": pairs,
            "chunkCount": chunks,
            "minTime": mint if labels else 0,
            "maxTime": maxt if labels else 0,
        }
        return {"headStats": head_stats, **lists}

    def size_bytes(self) -> int:
        with self._blocks_lock:
            total = sum(b.size_bytes for b in self._blocks)
        return total + (self._wal.size_bytes() if self._wal else 0)

    def close(self) -> None:
        if not self._open:
            return
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        with self._compact_lock, self.head.lock:
            self._open = False
            self._release()

    def __enter__(self) -> DB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
