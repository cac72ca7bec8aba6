import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.model.value import STALE_NAN
from lab.server.tsdb import chunkenc
from lab.server.tsdb.bitpack import pack, unpack, unzigzag, zigzag
from lab.server.tsdb.errors import CorruptionError


def roundtrip(ts: np.ndarray, vs: np.ndarray) -> bytes:
    data = chunkenc.encode(ts, vs)
    got_t, got_v = chunkenc.decode(data)
    assert got_t.tolist() == ts.tolist()
    assert got_v.view(np.uint64).tolist() == vs.view(np.uint64).tolist()
    return data


@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50), st.integers(0, 64))
def test_bitpack_roundtrip(values: list[int], width: int) -> None:
    arr = np.array(values, dtype=np.int64)
    zz = zigzag(arr)
    assert unzigzag(zz).tolist() == values
    mask = np.uint64((1 << width) - 1) if width < 64 else np.uint64(2**64 - 1)
    low = zz & mask
    assert unpack(pack(low, width), low.size, width).tolist() == low.tolist()


floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**40), 2**40).map(float),
    st.integers(-(10**6), 10**6).map(lambda i: i / 1000),
    st.sampled_from([0.0, -0.0, STALE_NAN, 1e300, 5e-324]),
)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(2**62), 2**62),
    st.lists(st.integers(1, 10**9), min_size=0, max_size=300),
    st.data(),
)
def test_roundtrip_any_samples(t0: int, gaps: list[int], data: st.DataObject) -> None:
    ts = t0 + np.cumsum(np.array([0, *gaps], dtype=np.int64))
    vs = np.array(data.draw(st.lists(floats, min_size=ts.size, max_size=ts.size)), np.float64)
    roundtrip(ts, vs)


def test_regular_scrape_data_is_small() -> None:
    rng = np.random.default_rng(1)
    ts = np.arange(0, 2048 * 15_000, 15_000, dtype=np.int64) + 1_700_000_000_000
    counter = np.cumsum(rng.poisson(150, ts.size)).astype(np.float64)
    assert len(roundtrip(ts, counter)) / ts.size < 1.3  # ints: dod of deltas, ~1 byte
    const = np.full(ts.size, 3.0)
    assert len(roundtrip(ts, const)) < 32
    decimals = np.round(rng.uniform(0, 100, ts.size), 2)  # as parsed from "12.34"
    assert len(roundtrip(ts, decimals)) / ts.size < 2.5
    with_stale = counter.copy()
    with_stale[-1] = STALE_NAN
    assert len(roundtrip(ts, with_stale)) / ts.size < 1.3


def test_jittered_timestamps_and_mixed_values() -> None:
    rng = np.random.default_rng(2)
    ts = np.cumsum(rng.integers(14_990, 15_010, 500)).astype(np.int64)
    roundtrip(ts, rng.normal(size=500))
    roundtrip(ts[:1], np.array([np.nan]))
    roundtrip(ts[:2], np.array([1.0, 2.5]))


def test_corrupt_chunk_raises_corruption_error() -> None:
    ts = np.arange(100, dtype=np.int64) * 1000
    data = chunkenc.encode(ts, np.sin(ts.astype(float)))
    with pytest.raises(CorruptionError):
        chunkenc.decode(data[: len(data) // 2])
    with pytest.raises(CorruptionError):
        chunkenc.decode(b"")
    with pytest.raises(CorruptionError):
        chunkenc.decode(bytes([0x3F]) + data[1:])
