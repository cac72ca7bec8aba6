"""Blocks: immutable directories holding a time range's series.

``<ULID>/meta.json`` (range, stats, compaction lineage), ``<ULID>/index``
(``index.py``) and ``<ULID>/chunks/000001...`` (length-prefixed, checksummed
chunks of ``chunkenc.py``). A block is written under a temporary name, synced,
and renamed into place, so a crash leaves either no block or a whole one.

A ``Block`` is shared by queriers and the compactor: readers ``acquire`` it,
and a block deleted by retention or compaction closes its files only when the
last reader releases it.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.model.matcher import Matcher
from lab.server.storage.interface import Series
from lab.server.tsdb import chunkenc, tombstones
from lab.server.tsdb.errors import CorruptionError
from lab.server.tsdb.fileutil import dir_size, fsync_dir, remove_tree, write_durably
from lab.server.tsdb.index import ChunkMeta, IndexReader, write_index
from lab.server.tsdb.postings import select_ids

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

CHUNKS_MAGIC = b"PLCH\x01\x00\x00\x00"
MAX_CHUNK_FILE = 512 * 1024 * 1024
_FILE_SHIFT = 40
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(ms: int) -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32."""
    value = (max(ms, 0) & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def is_ulid(name: str) -> bool:
    return len(name) == 26 and all(c in _CROCKFORD for c in name)


@dataclass(frozen=True, slots=True)
class BlockMeta:
    ulid: str
    min_time: int
    max_time: int  # exclusive, as upstream
    num_samples: int
    num_series: int
    num_chunks: int
    level: int = 1
    sources: tuple[str, ...] = ()
    parents: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {
            "ulid": self.ulid,
            "minTime": self.min_time,
            "maxTime": self.max_time,
            "stats": {
                "numSamples": self.num_samples,
                "numSeries": self.num_series,
                "numChunks": self.num_chunks,
            },
            "compaction": {
                "level": self.level,
                "sources": list(self.sources or (self.ulid,)),
                "parents": [{"ulid": p} for p in self.parents],
            },
            "version": 1,
            "format": "promlab-tsdb-1",
        }

    @classmethod
    def from_json(cls, doc: dict[str, object], what: str) -> BlockMeta:
        try:
            stats = doc["stats"]
            comp = doc["compaction"]
            assert isinstance(stats, dict) and isinstance(comp, dict)
            return cls(
                ulid=str(doc["ulid"]),
                min_time=int(doc["minTime"]),  # type: ignore[call-overload]
                max_time=int(doc["maxTime"]),  # type: ignore[call-overload]
                num_samples=int(stats["numSamples"]),
                num_series=int(stats["numSeries"]),
                num_chunks=int(stats["numChunks"]),
                level=int(comp["level"]),
                sources=tuple(str(s) for s in comp.get("sources", [])),
                parents=tuple(str(p["ulid"]) for p in comp.get("parents", [])),
            )
        except (KeyError, TypeError, ValueError, AssertionError):
            raise CorruptionError(f"{what}: malformed meta.json") from None


@dataclass(frozen=True, slots=True)
class SeriesData:
    labels: Labels
    timestamps: I64
    values: F64


def write_block(
    parent: Path,
    series: Iterable[SeriesData],
    min_time: int,
    max_time: int,
    ulid: str,
    level: int = 1,
    sources: Sequence[str] = (),
    parents: Sequence[str] = (),
) -> BlockMeta:
    """Write a block of ``series`` (any order; empty ones skipped) durably; returns its meta.

    ``max_time`` is exclusive. Series must not hold samples outside the range.
    """
    final = parent / ulid
    tmp = parent / (ulid + ".tmp-for-creation")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "chunks").mkdir(parents=True)
    ordered = sorted((s for s in series if s.timestamps.size), key=lambda s: s.labels)
    index_series: list[tuple[Labels, list[ChunkMeta]]] = []
    num_samples = num_chunks = 0
    file_no, offset = 1, len(CHUNKS_MAGIC)
    f = (tmp / "chunks" / f"{file_no:06d}").open("wb")
    f.write(CHUNKS_MAGIC)
    try:
        for s in ordered:
            metas = []
            for lo in range(0, s.timestamps.size, chunkenc.MAX_CHUNK_SAMPLES):
                ts = s.timestamps[lo : lo + chunkenc.MAX_CHUNK_SAMPLES]
                vs = s.values[lo : lo + chunkenc.MAX_CHUNK_SAMPLES]
                payload = chunkenc.encode(ts, vs)
                record = (
                    len(payload).to_bytes(4, "little")
                    + payload
                    + zlib.crc32(payload).to_bytes(4, "little")
                )
                if offset + len(record) > MAX_CHUNK_FILE and offset > len(CHUNKS_MAGIC):
                    f.flush()
                    os.fsync(f.fileno())
                    f.close()
                    file_no, offset = file_no + 1, len(CHUNKS_MAGIC)
                    f = (tmp / "chunks" / f"{file_no:06d}").open("wb")
                    f.write(CHUNKS_MAGIC)
                metas.append(
                    ChunkMeta(int(ts[0]), int(ts[-1]), file_no << _FILE_SHIFT | offset, ts.size)
                )
                f.write(record)
                offset += len(record)
                num_samples += ts.size
                num_chunks += 1
            index_series.append((s.labels, metas))
        f.flush()
        os.fsync(f.fileno())
    finally:
        f.close()
    write_durably(tmp / "index", write_index(tmp / "index", index_series))
    meta = BlockMeta(
        ulid,
        min_time,
        max_time,
        num_samples,
        len(index_series),
        num_chunks,
        level,
        tuple(sources) or (ulid,),
        tuple(parents),
    )
    write_durably(tmp / "meta.json", json.dumps(meta.to_json(), indent="\t").encode())
    fsync_dir(tmp / "chunks")
    fsync_dir(tmp)
    os.replace(tmp, final)
    fsync_dir(parent)
    return meta


def read_meta(path: Path) -> BlockMeta:
    what = str(path / "meta.json")
    try:
        doc = json.loads((path / "meta.json").read_bytes())
    except (OSError, ValueError) as exc:
        raise CorruptionError(f"{what}: {exc}") from None
    if not isinstance(doc, dict):
        raise CorruptionError(f"{what}: not an object")
    return BlockMeta.from_json(doc, what)


class Block:
    """A block opened for reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.meta = read_meta(path)
        try:
            data = (path / "index").read_bytes()
        except OSError as exc:
            raise CorruptionError(f"{path / 'index'}: {exc}") from None
        self.index = IndexReader(data, str(path / "index"))
        #: deleted ranges by series id (``tombstones.py``), applied by every read
        self.tombstones = tombstones.read(path)
        self._maps: dict[int, mmap.mmap] = {}
        self._lock = threading.Lock()
        self._refs = 0
        self._doomed = False
        self.size_bytes = dir_size(path)

    # -- lifetime ---------------------------------------------------------------

    def acquire(self) -> None:
        with self._lock:
            self._refs += 1

    def release(self) -> None:
        with self._lock:
            self._refs -= 1
            if self._refs == 0 and self._doomed:
                self._close_locked()

    def delete(self) -> None:
        """Remove from disk now; files close when the last reader releases."""
        remove_tree(self.path)
        with self._lock:
            self._doomed = True
            if self._refs == 0:
                self._close_locked()

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        for m in self._maps.values():
            m.close()
        self._maps.clear()

    # -- reading ----------------------------------------------------------------

    def _chunk(self, ref: int) -> tuple[I64, F64]:
        file_no, offset = ref >> _FILE_SHIFT, ref & ((1 << _FILE_SHIFT) - 1)
        with self._lock:
            m = self._maps.get(file_no)
            if m is None:
                path = self.path / "chunks" / f"{file_no:06d}"
                try:
                    with path.open("rb") as f:
                        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                except (OSError, ValueError) as exc:
                    raise CorruptionError(f"{path}: {exc}") from None
                self._maps[file_no] = m
            what = f"{self.path.name} chunk {file_no}:{offset}"
            if offset + 4 > len(m):
                raise CorruptionError(f"{what}: beyond end of file")
            length = int.from_bytes(m[offset : offset + 4], "little")
            end = offset + 4 + length
            if end + 4 > len(m):
                raise CorruptionError(f"{what}: truncated")
            payload = m[offset + 4 : end]
            crc = int.from_bytes(m[end : end + 4], "little")
        if zlib.crc32(payload) != crc:
            raise CorruptionError(f"{what}: checksum mismatch")
        return chunkenc.decode(payload, what)

    def _series_samples(self, sid: int, mint: int, maxt: int) -> tuple[I64, F64]:
        ix = self.index
        lo, hi = ix.chunk_range(sid)
        cmint = ix.chunk_mint[lo:hi]
        cmaxt = ix.chunk_maxt[lo:hi]
        hits = np.flatnonzero((cmaxt >= mint) & (cmint <= maxt))
        if hits.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        parts = [self._chunk(int(ix.chunk_offset[lo + i])) for i in hits.tolist()]
        ts = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts])
        vs = parts[0][1] if len(parts) == 1 else np.concatenate([p[1] for p in parts])
        if int(ts[0]) < mint or int(ts[-1]) > maxt:
            i = int(np.searchsorted(ts, mint, side="left"))
            j = int(np.searchsorted(ts, maxt, side="right"))
            ts, vs = ts[i:j], vs[i:j]
        if self.tombstones:
            ts, vs = tombstones.apply(ts, vs, self.tombstones.get(sid))
        return ts, vs

    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[Series]:
        out = []
        for sid in select_ids(matchers, self.index).tolist():
            ts, vs = self._series_samples(sid, mint, maxt)
            if ts.size:
                out.append(Series(self.index.labels(sid), ts, vs))
        return out  # sorted: series ids follow label order

    def series_labels(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[Labels]:
        ix = self.index
        out = []
        for sid in select_ids(matchers, ix).tolist():
            lo, hi = ix.chunk_range(sid)
            if np.any((ix.chunk_maxt[lo:hi] >= mint) & (ix.chunk_mint[lo:hi] <= maxt)):
                if sid in self.tombstones and not self._series_samples(sid, mint, maxt)[0].size:
                    continue
                out.append(self.index.labels(sid))
        return out

    def delete_range(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> int:
        """Tombstone ``[mint, maxt]`` of the matching series (clamped to each
        series' samples); returns how many series got one."""
        ix = self.index
        stones = {sid: list(iv) for sid, iv in self.tombstones.items()}
        added = 0
        for sid in select_ids(matchers, ix).tolist():
            lo, hi = ix.chunk_range(sid)
            if lo == hi:
                continue
            first, last = int(ix.chunk_mint[lo]), int(ix.chunk_maxt[hi - 1])
            if first > maxt or last < mint:
                continue
            stones[sid] = tombstones.add_interval(
                stones.get(sid, []), max(mint, first), min(maxt, last)
            )
            added += 1
        if added:
            tombstones.write(self.path, stones)
            self.tombstones = stones
        return added

    def all_series(self) -> Iterator[SeriesData]:
        for sid in range(self.index.num_series):
            ts, vs = self._series_samples(sid, -(2**63), 2**63 - 1)
            yield SeriesData(self.index.labels(sid), ts, vs)
