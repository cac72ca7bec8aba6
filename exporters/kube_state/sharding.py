"""Sharding as kube-state-metrics does it in code (not as its README says):
an object belongs to shard ``jump_hash(fnv1a_64(uid), total_shards)``.

FNV-1a 64: offset basis 0xcbf29ce484222325, prime 0x100000001b3, XOR then
multiply per byte. Jump consistent hash (Lamping & Veach 2014, the
``dgryski/go-jump`` port): the float arithmetic is done in float64 exactly as
Go does, so assignments agree with running KSM shards.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

_MASK64 = (1 << 64) - 1
FNV64_OFFSET = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3
_JUMP_MULTIPLIER = 2862933555777941757


def fnv1a_64(data: bytes) -> int:
    h = FNV64_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV64_PRIME) & _MASK64
    return h


def jump_hash(key: int, buckets: int) -> int:
    """The bucket in ``[0, buckets)`` for a uint64 key."""
    if buckets < 1:
        raise ValueError("buckets must be >= 1")
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * _JUMP_MULTIPLIER + 1) & _MASK64
        j = int(float(b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def shard_of(uid: str, total_shards: int) -> int:
    return jump_hash(fnv1a_64(uid.encode()), total_shards)


@dataclass(frozen=True, slots=True)
class Sharding:
    """This instance's shard; ``owns(uid)`` decides what it keeps."""

    shard: int = 0
    total: int = 1

    def __post_init__(self) -> None:
        if self.total < 1:
            raise ConfigError(f"--total-shards must be >= 1, got {self.total}")
        if not 0 <= self.shard < self.total:
            raise ConfigError(
                f"--shard must be in [0, --total-shards), got {self.shard} of {self.total}"
            )

    @property
    def enabled(self) -> bool:
        return self.total > 1

    def owns(self, uid: str) -> bool:
        return self.total == 1 or shard_of(uid, self.total) == self.shard
