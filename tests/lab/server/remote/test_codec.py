"""The wire codec: round trips, golden bytes built by hand from the protobuf
wire format, and the errors a receiver turns into 400s."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.model.value import STALE_NAN, is_stale
from lab.server.remote import codec
from lab.server.remote.errors import DecodeError


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _label(name: str, value: str) -> bytes:
    return _ld(1, name.encode()) + _ld(2, value.encode())


def _sample(value: float, t: int) -> bytes:
    return bytes([0x09]) + struct.pack("<d", value) + bytes([0x10]) + _varint(t)


def test_write_request_golden_bytes() -> None:
    series = [codec.SeriesData.of(Labels.of(__name__="up", job="a"), [(1000, 1.0), (2000, 2.5)])]
    ts = (
        _ld(1, _label("__name__", "up"))
        + _ld(1, _label("job", "a"))
        + _ld(2, _sample(1.0, 1000))
        + _ld(2, _sample(2.5, 2000))
    )
    assert codec.write_request_bytes(series) == _ld(1, ts)


def test_write_round_trip_keeps_values_bits_and_order() -> None:
    series = [
        codec.SeriesData.of(Labels.of(__name__="a", x="1"), [(5, 1.5), (3, -0.0), (9, math.inf)]),
        codec.SeriesData.of(Labels.of(__name__="b"), [(-7, STALE_NAN)]),
    ]
    out = codec.decode_write_request(codec.encode_write_request(series))
    assert [s.labels for s in out] == [s.labels for s in series]
    assert out[0].timestamps.tolist() == [5, 3, 9]
    assert np.array_equal(out[0].values, series[0].values)
    assert out[1].timestamps.tolist() == [-7] and is_stale(float(out[1].values[0]))


def test_snappy_is_block_format_readable_by_any_snappy() -> None:
    import cramjam

    body = codec.encode_write_request([codec.SeriesData.of(Labels.of(a="b"), [(1, 1.0)])])
    assert bytes(cramjam.snappy.decompress_raw(body)) == codec.write_request_bytes(
        [codec.SeriesData.of(Labels.of(a="b"), [(1, 1.0)])]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xff\xff\xff\xff\xff", "snappy"),
        (b"\x10garbage-not-snappy", "snappy"),
        (b"\xff\xff\xff\xff\x0f", "exceeds the limit"),
    ],
)
def test_bad_snappy(body: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec.decode_write_request(body)


def test_bad_protobuf() -> None:
    with pytest.raises(DecodeError, match="cannot parse WriteRequest"):
        codec.decode_write_request(codec.compress(b"\x0a\xff\x01garbage"))


@pytest.mark.parametrize(
    ("ts", "message"),
    [
        (_ld(1, _label("a", "1")) + _ld(1, _label("a", "2")), "duplicate label name 'a'"),
        (_ld(1, _label("", "1")), "empty label name"),
        (_ld(2, _sample(1.0, 1)), "series without labels"),
        (_ld(1, _label("a", "1")) + _ld(4, b"\x08\x01"), "native histograms"),
    ],
)
def test_invalid_series(ts: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec.decode_write_request(codec.compress(_ld(1, ts)))


def test_read_request_and_response_round_trip() -> None:
    matchers = (
        Matcher(MatchType.EQUAL, "__name__", "up"),
        Matcher(MatchType.NOT_EQUAL, "job", "x"),
        Matcher(MatchType.REGEX, "i", "a.*"),
        Matcher(MatchType.NOT_REGEX, "z", "b|c"),
    )
    q = codec.ReadQuery(10, 20, matchers)
    assert codec.decode_read_request(codec.encode_read_request([q])) == [q]
    results = [[codec.SeriesData.of(Labels.of(__name__="up"), [(1, 2.0)])], []]
    out = codec.decode_read_response(codec.encode_read_response(results))
    assert len(out) == 2 and out[1] == []
    assert out[0][0].labels == Labels.of(__name__="up") and out[0][0].values.tolist() == [2.0]


def test_read_request_refuses_streamed_only() -> None:
    # ReadRequest{accepted_response_types: [STREAMED_XOR_CHUNKS]}
    body = codec.compress(bytes([0x10, 0x01]))
    with pytest.raises(DecodeError, match="only SAMPLES"):
        codec.decode_read_request(body)
