"""Chunk encoding: one series' samples in a time range, compressed.

The layout is ours (documented in FORMAT.md); the ideas are Gorilla's
(delta-of-delta timestamps, XOR'd values) and VictoriaMetrics' (values that
are decimals in disguise become integers). Unlike Gorilla's per-sample
variable-length codes, each column here is packed at one bit width chosen for
the whole chunk, which is what lets numpy encode and decode a chunk in a few
vectorised calls. Each chunk picks the smaller of an integer encoding and an
XOR encoding, and is deflated when that helps.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

from lab.server.tsdb.bitpack import (
    Reader,
    bit_width,
    pack,
    put_uvarint,
    put_varint,
    unpack,
    unzigzag,
    zigzag,
)
from lab.server.tsdb.errors import CorruptionError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]

TS_REGULAR = 0  # every delta equal: (t0, delta) say it all
TS_DOD = 1  # delta-of-deltas bit-packed
VAL_CONST = 0
VAL_INT = 1  # scaled integers (decimal exponent k), delta-of-delta packed; exceptions raw
VAL_XOR = 2  # XOR with the previous value, common trailing zeros shifted out
FLAG_DEFLATE = 0x10

#: Decimal scales tried for VAL_INT: value == round(value * 10**k) / 10**k exactly.
MAX_DECIMALS = 9
#: Samples per chunk when a writer splits a long series.
MAX_CHUNK_SAMPLES = 2048
_INT_LIMIT = float(2**53)


def _ints_column(out: bytearray, ints: I64) -> None:
    """t0 / v0, first delta, then delta-of-deltas at one width (or width 0)."""
    n = ints.size
    put_varint(out, int(ints[0]))
    if n == 1:
        return
    deltas = np.diff(ints)
    put_varint(out, int(deltas[0]))
    if n == 2:
        return
    zz = zigzag(np.diff(deltas))
    width = bit_width(zz)
    out.append(width)
    out += pack(zz, width)


def _read_ints(r: Reader, n: int) -> I64:
    first = r.varint()
    if n == 1:
        return np.array([first], dtype=np.int64)
    d0 = r.varint()
    steps = np.empty(n, dtype=np.int64)
    steps[0] = first
    steps[1] = d0
    if n > 2:
        width = r.byte()
        if width > 64:
            raise CorruptionError(f"{r.what}: bit width {width}")
        dod = unzigzag(
            unpack(r.take((n - 2) * width // 8 + (1 if (n - 2) * width % 8 else 0)), n - 2, width)
        )
        steps[2:] = d0 + np.cumsum(dod)
    out: I64 = np.cumsum(steps)
    return out


def _best_scale(values: F64) -> tuple[int, npt.NDArray[np.bool_], I64]:
    """The decimal scale k that turns most values into exact integers."""
    bits = values.view(np.uint64)
    # The common case first (counters, integer gauges): every value an integer.
    with np.errstate(invalid="ignore"):
        if bool((np.abs(values) < _INT_LIMIT).all()):
            ints = values.astype(np.int64)
            if bool((ints.astype(np.float64).view(np.uint64) == bits).all()):
                return 0, np.ones(values.size, dtype=np.bool_), ints
    finite = np.isfinite(values)
    best: tuple[int, npt.NDArray[np.bool_], I64] | None = None
    best_ok = -1
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(MAX_DECIMALS + 1):
            scale = 10.0**k
            scaled = np.round(values * scale)
            in_range = finite & (np.abs(scaled) < _INT_LIMIT)
            ints = np.where(in_range, scaled, 0.0).astype(np.int64)
            # Check exactly what the decoder will compute (this also sends -0.0 raw).
            decoded = ints.astype(np.float64) / scale
            ok = in_range & (decoded.view(np.uint64) == bits)
            count = int(ok.sum())
            if count > best_ok:
                best, best_ok = (k, ok, ints), count
            if count == values.size:
                break
    assert best is not None
    return best


def _int_values(values: F64) -> bytearray | None:
    k, ok, ints = _best_scale(values)
    n = values.size
    exceptions = np.flatnonzero(~ok)
    if exceptions.size * 2 > n:
        return None
    out = bytearray([k])
    put_uvarint(out, exceptions.size)
    if exceptions.size:
        # Exceptions (NaN, stale markers, odd floats) are stored raw; in the
        # integer stream they repeat their neighbour so the deltas stay small.
        idx = np.where(ok, np.arange(n), 0)
        np.maximum.accumulate(idx, out=idx)
        first_ok = int(np.argmax(ok)) if ok.any() else 0
        idx[: first_ok + 1] = first_ok
        ints = ints[idx]
        gaps = np.diff(exceptions, prepend=0)
        for g in gaps.tolist():
            put_uvarint(out, g)
        out += values[exceptions].astype("<f8").tobytes()
    _ints_column(out, ints)
    return out


def _xor_values(values: F64) -> bytearray:
    bits = values.view(np.uint64)
    out = bytearray(values[:1].astype("<f8").tobytes())
    if values.size == 1:
        return out
    x = bits[1:] ^ bits[:-1]
    union = int(np.bitwise_or.reduce(x))
    tz = (union & -union).bit_length() - 1 if union else 0
    shifted = x >> np.uint64(tz)
    width = bit_width(shifted)
    out.append(tz)
    out.append(width)
    out += pack(shifted, width)
    return out


def encode(timestamps: I64, values: F64) -> bytes:
    """One chunk for ``timestamps`` (strictly increasing) and ``values`` (same length >= 1)."""
    n = timestamps.size
    if n == 0 or values.size != n:
        raise ValueError("a chunk needs one or more samples, as many values as timestamps")
    body = bytearray()
    put_uvarint(body, n)
    ts = timestamps.astype(np.int64, copy=False)
    deltas = ts[1:] - ts[:-1]
    if n <= 2 or bool((deltas == deltas[0]).all()):
        ts_mode = TS_REGULAR
        put_varint(body, int(ts[0]))
        if n > 1:
            put_varint(body, int(ts[1] - ts[0]))
    else:
        ts_mode = TS_DOD
        _ints_column(body, ts)
    vs = np.ascontiguousarray(values, dtype=np.float64)
    bits = vs.view(np.uint64)
    if not np.any(bits != bits[0]):
        val_mode, val_bytes = VAL_CONST, bytearray(vs[:1].astype("<f8").tobytes())
    else:
        as_int = _int_values(vs)
        if as_int is not None and as_int[1] == 0 and len(as_int) <= n + 16:
            # Integers without exceptions at about a byte per value (counters):
            # their XOR form is practically never smaller, so it is not computed.
            val_mode, val_bytes = VAL_INT, as_int
        else:
            as_xor = _xor_values(vs)
            if as_int is not None and len(as_int) <= len(as_xor):
                val_mode, val_bytes = VAL_INT, as_int
            else:
                val_mode, val_bytes = VAL_XOR, as_xor
    body += val_bytes
    flags = ts_mode | (val_mode << 2)
    if len(body) > 32:
        deflated = zlib.compress(bytes(body), 6)
        if len(deflated) < len(body):
            return bytes([flags | FLAG_DEFLATE]) + deflated
    return bytes([flags]) + bytes(body)


def decode(data: bytes | memoryview, what: str = "chunk") -> tuple[I64, F64]:
    """Timestamps and values of one chunk; a malformed chunk is a ``CorruptionError``."""
    if len(data) == 0:
        raise CorruptionError(f"{what}: empty")
    flags = data[0]
    body: bytes | memoryview = memoryview(data)[1:]
    if flags & FLAG_DEFLATE:
        try:
            body = zlib.decompress(body)
        except zlib.error as exc:
            raise CorruptionError(f"{what}: {exc}") from None
    r = Reader(body, what)
    n = r.uvarint()
    if n == 0 or n > 1 << 24:
        raise CorruptionError(f"{what}: sample count {n}")
    ts_mode, val_mode = flags & 0x3, (flags >> 2) & 0x3
    if ts_mode == TS_REGULAR:
        t0 = r.varint()
        d = r.varint() if n > 1 else 0
        ts: I64 = t0 + d * np.arange(n, dtype=np.int64)
    elif ts_mode == TS_DOD:
        ts = _read_ints(r, n)
    else:
        raise CorruptionError(f"{what}: timestamp encoding {ts_mode}")
    if val_mode == VAL_CONST:
        vs: F64 = np.full(n, np.frombuffer(r.take(8), dtype="<f8")[0], dtype=np.float64)
    elif val_mode == VAL_INT:
        vs = _read_int_values(r, n)
    elif val_mode == VAL_XOR:
        vs = _read_xor_values(r, n)
    else:
        raise CorruptionError(f"{what}: value encoding {val_mode}")
    return ts, vs


def _read_int_values(r: Reader, n: int) -> F64:
    k = r.byte()
    if k > MAX_DECIMALS:
        raise CorruptionError(f"{r.what}: decimal scale {k}")
    n_exc = r.uvarint()
    if n_exc > n:
        raise CorruptionError(f"{r.what}: {n_exc} exceptions in {n} samples")
    exc_idx = np.cumsum(np.array([r.uvarint() for _ in range(n_exc)], dtype=np.int64))
    raw = np.frombuffer(r.take(8 * n_exc), dtype="<f8").astype(np.float64)
    ints = _read_ints(r, n)
    vs: F64 = ints.astype(np.float64) / 10.0**k
    if n_exc:
        if exc_idx[-1] >= n:
            raise CorruptionError(f"{r.what}: exception index out of range")
        vs[exc_idx] = raw
    return vs


def _read_xor_values(r: Reader, n: int) -> F64:
    first = np.frombuffer(r.take(8), dtype="<u8").astype(np.uint64)
    if n == 1:
        return first.view(np.float64)
    tz, width = r.byte(), r.byte()
    if tz + width > 64:
        raise CorruptionError(f"{r.what}: xor shift {tz} width {width}")
    x = unpack(r.take((width * (n - 1) + 7) // 8), n - 1, width) << np.uint64(tz)
    bits = np.empty(n, dtype=np.uint64)
    bits[0] = first[0]
    bits[1:] = x
    out: F64 = np.bitwise_xor.accumulate(bits).view(np.float64)
    return out
