"""Vectorised integer packing: zigzag, fixed-width bit packing, varints.

The chunk encoding stores each chunk's residuals (timestamp delta-of-deltas,
value deltas, XORs) at one bit width chosen for the chunk, so a whole column
packs and unpacks with a handful of numpy calls instead of a loop per sample.
Scalar varints are for the few header fields.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lab.server.tsdb.errors import CorruptionError

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

_BIG_U64 = np.dtype(">u8")


def zigzag(x: I64) -> U64:
    """Map signed to unsigned so small magnitudes get small codes (0,-1,1,-2 -> 0,1,2,3)."""
    out: U64 = ((x << 1) ^ (x >> 63)).view(np.uint64)
    return out


def unzigzag(u: U64) -> I64:
    out: I64 = (u >> np.uint64(1)).view(np.int64) ^ -((u & np.uint64(1)).view(np.int64))
    return out


def bit_width(u: U64) -> int:
    """Bits needed for the largest value (0 for an empty or all-zero column)."""
    return int(u.max()).bit_length() if u.size else 0


def pack(u: U64, width: int) -> bytes:
    """The low ``width`` bits of each value, big-endian, concatenated, zero-padded to a byte."""
    if width == 0 or u.size == 0:
        return b""
    bits = np.unpackbits(u.astype(_BIG_U64).view(np.uint8).reshape(-1, 8), axis=1)
    return np.packbits(bits[:, 64 - width :]).tobytes()


def unpack(buf: bytes | memoryview, n: int, width: int) -> U64:
    """Inverse of ``pack`` for ``n`` values."""
    if width == 0 or n == 0:
        return np.zeros(n, dtype=np.uint64)
    need = (n * width + 7) // 8
    if len(buf) < need:
        raise CorruptionError(f"bit-packed column truncated: need {need} bytes, have {len(buf)}")
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8, count=need), count=n * width)
    full = np.zeros((n, 64), dtype=np.uint8)
    full[:, 64 - width :] = bits.reshape(n, width)
    out: U64 = np.packbits(full, axis=1).view(_BIG_U64).ravel().astype(np.uint64)
    return out


def packed_size(n: int, width: int) -> int:
    return (n * width + 7) // 8


def put_uvarint(out: bytearray, value: int) -> None:
    if value < 0:
        raise ValueError("uvarint of a negative number")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def put_varint(out: bytearray, value: int) -> None:
    put_uvarint(out, (value << 1) if value >= 0 else ((-value << 1) - 1))


class Reader:
    """Sequential reads over a buffer; every overrun is a ``CorruptionError``."""

    __slots__ = ("buf", "pos", "what")

    def __init__(self, buf: bytes | memoryview, what: str, pos: int = 0) -> None:
        self.buf = memoryview(buf)
        self.pos = pos
        self.what = what

    def remaining(self) -> int:
        return len(self.buf) - self.pos

    def uvarint(self) -> int:
        result = shift = 0
        buf, pos = self.buf, self.pos
        while True:
            if pos >= len(buf) or shift > 63:
                raise CorruptionError(f"{self.what}: bad varint at byte {self.pos}")
            b = buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                self.pos = pos
                return result
            shift += 7

    def varint(self) -> int:
        u = self.uvarint()
        return (u >> 1) ^ -(u & 1)

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            raise CorruptionError(f"{self.what}: truncated at byte {self.pos}")
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise CorruptionError(f"{self.what}: truncated at byte {self.pos} (need {n})")
        view = self.buf[self.pos : self.pos + n]
        self.pos += n
        return view
