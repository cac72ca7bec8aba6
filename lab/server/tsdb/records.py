"""The WAL record codec: what the opaque records of ``wal.py`` contain.

Three record types, each starting with its type byte:

* series: new series and their head ids (``ref``), labels as strings;
* samples: a commit's samples as three little-endian columns (ref, timestamp,
  value), so a batch encodes and decodes with ``np.frombuffer``;
* tombstones: samples deleted from the head (ref and a closed interval each),
  applied again at replay.

The log does not know these exist; replay hands each record back here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.server.tsdb.bitpack import Reader, put_uvarint, put_varint
from lab.server.tsdb.errors import CorruptionError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

SERIES = 1
SAMPLES = 2
TOMBSTONES = 3
_TS_I64 = 0
_TS_I32_OFFSET = 1  # timestamps as int32 offsets from a base: most batches span < 24 days


@dataclass(frozen=True, slots=True)
class SeriesRecord:
    refs: list[int]
    labels: list[Labels]


@dataclass(frozen=True, slots=True)
class SamplesRecord:
    refs: I64
    timestamps: I64
    values: F64


@dataclass(frozen=True, slots=True)
class TombstonesRecord:
    #: (ref, mint, maxt): samples of series ``ref`` in ``[mint, maxt]`` are deleted
    stones: list[tuple[int, int, int]]


def encode_tombstones(stones: Sequence[tuple[int, int, int]]) -> bytes:
    out = bytearray([TOMBSTONES])
    put_uvarint(out, len(stones))
    for ref, mint, maxt in stones:
        put_uvarint(out, ref)
        put_varint(out, mint)
        put_varint(out, maxt)
    return bytes(out)


def encode_series(refs: Sequence[int], labels: Sequence[Labels]) -> bytes:
    out = bytearray([SERIES])
    put_uvarint(out, len(refs))
    for ref, lset in zip(refs, labels, strict=True):
        put_uvarint(out, ref)
        put_uvarint(out, len(lset))
        for name, value in lset:
            for s in (name, value):
                b = s.encode("utf-8")
                put_uvarint(out, len(b))
                out += b
    return bytes(out)


def encode_samples(refs: I64, timestamps: I64, values: F64) -> bytes:
    n = refs.size
    out = bytearray([SAMPLES])
    put_uvarint(out, n)
    if n and int(refs.max()) >= 2**32:
        raise ValueError("series ref beyond 32 bits")
    out += refs.astype("<u4").tobytes()
    base = int(timestamps.min()) if n else 0
    span = int(timestamps.max()) - base if n else 0
    if span < 2**31:
        out.append(_TS_I32_OFFSET)
        out += base.to_bytes(8, "little", signed=True)
        out += (timestamps - base).astype("<i4").tobytes()
    else:
        out.append(_TS_I64)
        out += timestamps.astype("<i8").tobytes()
    out += values.astype("<f8").tobytes()
    return bytes(out)


def decode(rec: bytes | memoryview) -> SeriesRecord | SamplesRecord | TombstonesRecord:
    r = Reader(rec, "WAL record")
    kind = r.byte()
    if kind == SERIES:
        return _decode_series(r)
    if kind == SAMPLES:
        return _decode_samples(r)
    if kind == TOMBSTONES:
        return TombstonesRecord([(r.uvarint(), r.varint(), r.varint()) for _ in range(r.uvarint())])
    raise CorruptionError(f"WAL record: unknown type {kind}")


def _decode_series(r: Reader) -> SeriesRecord:
    refs: list[int] = []
    labels: list[Labels] = []
    for _ in range(r.uvarint()):
        refs.append(r.uvarint())
        pairs = []
        for _ in range(r.uvarint()):
            name = bytes(r.take(r.uvarint())).decode("utf-8", "replace")
            value = bytes(r.take(r.uvarint())).decode("utf-8", "replace")
            pairs.append((name, value))
        labels.append(Labels.from_pairs(pairs))
    return SeriesRecord(refs, labels)


def _decode_samples(r: Reader) -> SamplesRecord:
    n = r.uvarint()
    refs = np.frombuffer(r.take(4 * n), dtype="<u4").astype(np.int64)
    mode = r.byte()
    if mode == _TS_I32_OFFSET:
        base = int.from_bytes(r.take(8), "little", signed=True)
        ts = np.frombuffer(r.take(4 * n), dtype="<i4").astype(np.int64) + base
    elif mode == _TS_I64:
        ts = np.frombuffer(r.take(8 * n), dtype="<i8").astype(np.int64)
    else:
        raise CorruptionError(f"WAL samples record: timestamp mode {mode}")
    vs = np.frombuffer(r.take(8 * n), dtype="<f8").astype(np.float64)
    return SamplesRecord(refs, ts, vs)
