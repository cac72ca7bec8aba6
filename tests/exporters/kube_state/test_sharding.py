"""Sharding: KSM's FNV-1a 64 + jump hash, checked by hand, and a partition
of the simulated cluster over three shards."""

from __future__ import annotations

import pytest

from exporters.kube_state.errors import ConfigError
from exporters.kube_state.sharding import Sharding, fnv1a_64, jump_hash, shard_of

from .conftest import Factory

MASK = (1 << 64) - 1


def test_fnv1a_64_reference_vectors() -> None:
    # The published FNV-1a 64 test vectors.
    assert fnv1a_64(b"") == 0xCBF29CE484222325
    assert fnv1a_64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a_64(b"foobar") == 0x85944171F73967E8


def test_fnv1a_64_by_hand() -> None:
    h = 0xCBF29CE484222325
    for byte in b"ab":
        h = ((h ^ byte) * 0x100000001B3) & MASK
    assert fnv1a_64(b"ab") == h == 0x089C4407B545986A


def _jump_by_hand(key: int, buckets: int) -> int:
    """Lamping & Veach, spelled out step by step."""
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & MASK
        j = int((b + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return b


def test_jump_hash_by_hand() -> None:
    # key 0: the first step gives key 1, j = 1 * 2^31 / ((1 >> 33) + 1) = 2^31: bucket 0.
    assert jump_hash(0, 3) == 0
    # key 1: key' = 2862933555777941758, key' >> 33 = 333289331, j = 2^31 / 333289332 = 6
    # (6.44 truncated) >= 3, so bucket 0 for 3 buckets; with 10 buckets the walk goes on.
    assert (2862933555777941758 >> 33) == 333289331
    assert int((1 << 31) / 333289332) == 6
    assert jump_hash(1, 3) == 0
    assert jump_hash(1, 10) == _jump_by_hand(1, 10)
    assert all(jump_hash(k, 1) == 0 for k in (0, 1, 2**63))


def test_shard_of_a_uid_by_hand() -> None:
    uid = "1c4f5b6a-0000-4000-8000-000000000001"
    key = fnv1a_64(uid.encode())
    assert shard_of(uid, 3) == _jump_by_hand(key, 3)
    # Consistency: growing from 3 to 4 shards only ever moves an object to the new shard.
    for i in range(200):
        u = f"uid-{i}"
        before, after = shard_of(u, 3), shard_of(u, 4)
        assert after in (before, 3)


def test_bad_shard_flags() -> None:
    with pytest.raises(ConfigError, match="--shard"):
        Sharding(3, 3)
    with pytest.raises(ConfigError, match="--total-shards"):
        Sharding(0, 0)


def test_three_shards_partition_the_cluster(exporter: Factory) -> None:
    shards = [exporter(shard=i, total_shards=3) for i in range(3)]
    whole = exporter()
    full = set(whole.render().decode().splitlines()) - {""}
    parts = [set(s.render().decode().splitlines()) for s in shards]
    samples = [{ln for ln in p if ln and not ln.startswith("#")} for p in parts]
    # Every series is in exactly one shard, and together they are the unsharded output.
    assert sum(len(s) for s in samples) == len(set().union(*samples))
    assert set().union(*samples) == {ln for ln in full if not ln.startswith("#")}
    assert all(samples), "with 30 pods every shard should own something"
    counts = [s.object_counts()["pods"] for s in shards]
    assert sum(counts) == 30
