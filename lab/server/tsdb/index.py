"""A block's index file: symbols, series (labels + chunk metas) and postings.

The file is a list of named little-endian numpy arrays (see FORMAT.md), with a
CRC32 over everything, so writing and reading are a few ``tobytes`` /
``frombuffer`` calls. Series are sorted by labels and numbered by position;
label names and values are references into the sorted symbol table, so a
label pair compares as a pair of integers.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.server.tsdb.errors import CorruptionError

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

MAGIC = b"PLIX"
VERSION = 1
_DTYPES: dict[int, str] = {1: "<u1", 2: "<u4", 3: "<i8", 4: "<u8"}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}

#: The arrays an index holds, with their dtype.
ARRAYS: dict[str, str] = {
    "symbol_offsets": "<u8",  # [nsymbols + 1] into symbol_bytes
    "symbol_bytes": "<u1",  # UTF-8 of every symbol, sorted, concatenated
    "series_label_offsets": "<u8",  # [nseries + 1] into series_labels (in pairs)
    "series_labels": "<u4",  # name ref, value ref, name ref, ...
    "series_chunk_offsets": "<u8",  # [nseries + 1] into the chunk_* arrays
    "chunk_mint": "<i8",
    "chunk_maxt": "<i8",
    "chunk_offset": "<u8",  # byte offset in chunks/000001 (file number << 40 | offset)
    "chunk_samples": "<u4",
    "postings_names": "<u4",  # [npairs] name ref, sorted by (name, value)
    "postings_values": "<u4",
    "postings_offsets": "<u8",  # [npairs + 1] into postings_ids
    "postings_ids": "<u4",
}


@dataclass(frozen=True, slots=True)
class ChunkMeta:
    mint: int
    maxt: int
    ref: int  # file number << 40 | byte offset
    samples: int


def write_index(path: Path, series: Sequence[tuple[Labels, Sequence[ChunkMeta]]]) -> bytes:
    """Encode the index for ``series`` (sorted by labels); returns the bytes written."""
    symbols = sorted({s for labels, _ in series for pair in labels for s in pair})
    sym_ref = {s: i for i, s in enumerate(symbols)}
    encoded = [s.encode("utf-8") for s in symbols]
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "symbol_offsets": np.cumsum([0, *map(len, encoded)], dtype=np.uint64),
        "symbol_bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8),
    }
    refs: list[int] = []
    label_offsets = [0]
    chunk_offsets = [0]
    chunks: list[ChunkMeta] = []
    postings: dict[tuple[int, int], list[int]] = {}
    for sid, (labels, metas) in enumerate(series):
        for name, value in labels:
            pair = (sym_ref[name], sym_ref[value])
            refs.extend(pair)
            postings.setdefault(pair, []).append(sid)
        label_offsets.append(len(refs) // 2)
        chunks.extend(metas)
        chunk_offsets.append(len(chunks))
    arrays["series_label_offsets"] = np.array(label_offsets, dtype=np.uint64)
    arrays["series_labels"] = np.array(refs, dtype=np.uint32)
    arrays["series_chunk_offsets"] = np.array(chunk_offsets, dtype=np.uint64)
    arrays["chunk_mint"] = np.array([c.mint for c in chunks], dtype=np.int64)
    arrays["chunk_maxt"] = np.array([c.maxt for c in chunks], dtype=np.int64)
    arrays["chunk_offset"] = np.array([c.ref for c in chunks], dtype=np.uint64)
    arrays["chunk_samples"] = np.array([c.samples for c in chunks], dtype=np.uint32)
    pairs = sorted(postings)
    arrays["postings_names"] = np.array([p[0] for p in pairs], dtype=np.uint32)
    arrays["postings_values"] = np.array([p[1] for p in pairs], dtype=np.uint32)
    arrays["postings_offsets"] = np.cumsum([0, *(len(postings[p]) for p in pairs)], dtype=np.uint64)
    arrays["postings_ids"] = np.array([sid for p in pairs for sid in postings[p]], dtype=np.uint32)
    out = bytearray(MAGIC + VERSION.to_bytes(4, "little"))
    for name, dtype in ARRAYS.items():
        arr = np.ascontiguousarray(arrays[name], dtype=dtype)
        key = name.encode()
        out.append(len(key))
        out += key
        out.append(_CODES[np.dtype(dtype)])
        out += arr.size.to_bytes(8, "little")
        out += arr.tobytes()
    out += zlib.crc32(out).to_bytes(4, "little")
    return bytes(out)


class IndexReader:
    """The decoded index of one block; postings per label name are built lazily."""

    def __init__(self, data: bytes, what: str) -> None:
        if len(data) < 12 or data[:4] != MAGIC:
            raise CorruptionError(f"{what}: not a promlab index (bad magic)")
        if zlib.crc32(data[:-4]) != int.from_bytes(data[-4:], "little"):
            raise CorruptionError(f"{what}: checksum mismatch")
        version = int.from_bytes(data[4:8], "little")
        if version != VERSION:
            raise CorruptionError(f"{what}: unsupported index version {version}")
        self.arrays: dict[str, npt.NDArray[np.generic]] = {}
        pos, end = 8, len(data) - 4
        try:
            while pos < end:
                klen = data[pos]
                name = data[pos + 1 : pos + 1 + klen].decode()
                pos += 1 + klen
                dtype = _DTYPES[data[pos]]
                count = int.from_bytes(data[pos + 1 : pos + 9], "little")
                pos += 9
                nbytes = count * np.dtype(dtype).itemsize
                if pos + nbytes > end:
                    raise CorruptionError(f"{what}: array {name} truncated")
                self.arrays[name] = np.frombuffer(data, dtype=dtype, count=count, offset=pos)
                pos += nbytes
        except (KeyError, UnicodeDecodeError, IndexError):
            raise CorruptionError(f"{what}: malformed array table") from None
        missing = set(ARRAYS) - set(self.arrays)
        if missing:
            raise CorruptionError(f"{what}: missing {sorted(missing)}")
        blob = self.arrays["symbol_bytes"].tobytes()
        offs = self.arrays["symbol_offsets"].astype(np.int64).tolist()
        self.symbols = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offs)]
        self.num_series = int(self.arrays["series_label_offsets"].size - 1)
        self.chunk_mint: I64 = self.arrays["chunk_mint"].astype(np.int64, copy=False)
        self.chunk_maxt: I64 = self.arrays["chunk_maxt"].astype(np.int64, copy=False)
        self.chunk_offset: U64 = self.arrays["chunk_offset"].astype(np.uint64, copy=False)
        self._postings: dict[str, dict[str, I64]] | None = None
        self._labels: list[Labels | None] = [None] * self.num_series
        self._all: I64 = np.arange(self.num_series, dtype=np.int64)

    def labels(self, sid: int) -> Labels:
        cached = self._labels[sid]
        if cached is not None:
            return cached
        offs = self.arrays["series_label_offsets"]
        refs = self.arrays["series_labels"][int(offs[sid]) * 2 : int(offs[sid + 1]) * 2].tolist()
        sym = self.symbols
        labels = Labels.from_sorted(
            (sym[refs[i]], sym[refs[i + 1]]) for i in range(0, len(refs), 2)
        )
        self._labels[sid] = labels
        return labels

    def chunk_range(self, sid: int) -> tuple[int, int]:
        offs = self.arrays["series_chunk_offsets"]
        return int(offs[sid]), int(offs[sid + 1])

    def _build_postings(self) -> dict[str, dict[str, I64]]:
        if self._postings is None:
            out: dict[str, dict[str, I64]] = {}
            a = self.arrays
            ids = a["postings_ids"].astype(np.int64)
            offs = a["postings_offsets"].astype(np.int64).tolist()
            sym = self.symbols
            for i, (n, v) in enumerate(
                zip(a["postings_names"].tolist(), a["postings_values"].tolist(), strict=True)
            ):
                out.setdefault(sym[n], {})[sym[v]] = ids[offs[i] : offs[i + 1]]
            self._postings = out
        return self._postings

    def postings_for_name(self, name: str) -> Mapping[str, I64]:
        return self._build_postings().get(name, {})

    def all_ids(self) -> I64:
        return self._all

    def label_names(self) -> list[str]:
        return sorted(self._build_postings())
