"""The remote write (v1) / remote read wire format: snappy-compressed protobuf.

Bodies are protobuf messages (``prompb/promlab_remote.proto``) compressed with
snappy's *block* format (not the framed stream format), as Prometheus sends
them. Requests carry::

    Content-Encoding: snappy
    Content-Type: application/x-protobuf
    X-Prometheus-Remote-Write-Version: 0.1.0     (write)
    X-Prometheus-Remote-Read-Version: 0.1.0      (read)

The generated protobuf module registers its descriptors in protobuf's global
pool, so it is imported on first use (``_pb()``), never at import time.

Series travel as ``SeriesData``: labels plus int64-ms / float64 numpy columns.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.remote.errors import DecodeError

if TYPE_CHECKING:
    from lab.server.remote.prompb import promlab_remote_pb2 as pb

CONTENT_TYPE = "application/x-protobuf"
CONTENT_ENCODING = "snappy"
WRITE_VERSION_HEADER = "X-Prometheus-Remote-Write-Version"
WRITE_VERSION = "0.1.0"
READ_VERSION_HEADER = "X-Prometheus-Remote-Read-Version"
READ_VERSION = "0.1.0"

#: Refuse bodies announcing more than this once decompressed (a snappy block
#: states its size up front, so a decompression bomb is refused unread).
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

_MATCH_TO_PB = {MatchType.EQUAL: 0, MatchType.NOT_EQUAL: 1, MatchType.REGEX: 2,
                MatchType.NOT_REGEX: 3}  # fmt: skip
_PB_TO_MATCH = {v: k for k, v in _MATCH_TO_PB.items()}


@functools.cache
def _pb() -> ModuleType:
    from lab.server.remote.prompb import promlab_remote_pb2

    return promlab_remote_pb2


@dataclass(frozen=True, slots=True)
class SeriesData:
    """One series' samples as sent or received (timestamps in ms, oldest first
    when sent by Prometheus, but a receiver must not assume it)."""

    labels: Labels
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]

    @classmethod
    def of(cls, labels: Labels, samples: Iterable[tuple[int, float]]) -> SeriesData:
        pairs = list(samples)
        return cls(
            labels,
            np.array([t for t, _ in pairs], dtype=np.int64),
            np.array([v for _, v in pairs], dtype=np.float64),
        )


@dataclass(frozen=True, slots=True)
class ReadQuery:
    """One query of a remote-read request: matchers over ``[start_ms, end_ms]``."""

    start_ms: int
    end_ms: int
    matchers: tuple[Matcher, ...]


# -- snappy ---------------------------------------------------------------------------


def compress(data: bytes) -> bytes:
    import cramjam

    return bytes(cramjam.snappy.compress_raw(data))


def _uvarint_prefix(data: bytes) -> int:
    """The uncompressed length a snappy block starts with (a uvarint)."""
    size = 0
    for i, byte in enumerate(data[:5]):
        size |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return size
    raise DecodeError("snappy: corrupt input (bad length header)")


def decompress(data: bytes) -> bytes:
    """Snappy block decompression with a size guard; ``DecodeError`` on bad input."""
    import cramjam

    size = _uvarint_prefix(data)
    if size > MAX_DECOMPRESSED_BYTES:
        raise DecodeError(
            f"snappy: decompressed size {size} exceeds the limit of {MAX_DECOMPRESSED_BYTES}"
        )
    try:
        return bytes(cramjam.snappy.decompress_raw(data))
    except Exception as exc:  # cramjam raises its own DecompressionError
        raise DecodeError(f"snappy: corrupt input ({exc})") from None


# -- write ----------------------------------------------------------------------------


def _labels_pb(msg: pb.TimeSeries, labels: Labels) -> None:
    for name, value in labels:
        msg.labels.add(name=name, value=value)


def write_request_bytes(series: Sequence[SeriesData]) -> bytes:
    """The uncompressed protobuf ``WriteRequest`` for ``series``."""
    req = _pb().WriteRequest()
    for s in series:
        ts = req.timeseries.add()
        _labels_pb(ts, s.labels)
        add = ts.samples.add
        for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True):
            add(value=v, timestamp=t)
    return bytes(req.SerializeToString())


def encode_write_request(series: Sequence[SeriesData]) -> bytes:
    """A remote-write body: snappy(protobuf WriteRequest)."""
    return compress(write_request_bytes(series))


def _parse(message: pb.WriteRequest | pb.ReadRequest | pb.ReadResponse, data: bytes) -> None:
    from google.protobuf.message import DecodeError as PbDecodeError

    try:
        message.ParseFromString(data)
    except PbDecodeError as exc:
        name = type(message).__name__
        raise DecodeError(f"cannot parse {name} protobuf: {exc}") from None


def _labels_from_pb(labels: Iterable[pb.Label], where: str) -> Labels:
    pairs = [(lb.name, lb.value) for lb in labels]
    names = [n for n, _ in pairs]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise DecodeError(f"{where}: duplicate label name {dup!r}")
    if any(n == "" for n in names):
        raise DecodeError(f"{where}: empty label name")
    out = Labels.from_pairs(pairs)
    if not out:
        raise DecodeError(f"{where}: series without labels")
    return out


def _series_from_pb(items: Iterable[pb.TimeSeries], what: str) -> list[SeriesData]:
    out: list[SeriesData] = []
    for i, ts in enumerate(items):
        where = f"{what} timeseries[{i}]"
        if len(ts.histograms):
            raise DecodeError(f"{where}: native histograms are not supported")
        labels = _labels_from_pb(ts.labels, where)
        n = len(ts.samples)
        times = np.fromiter((s.timestamp for s in ts.samples), dtype=np.int64, count=n)
        values = np.fromiter((s.value for s in ts.samples), dtype=np.float64, count=n)
        out.append(SeriesData(labels, times, values))
    return out


def decode_write_request(body: bytes) -> list[SeriesData]:
    """Decode a remote-write body (snappy + protobuf); ``DecodeError`` if invalid.

    Exemplars and metadata are accepted and ignored (the lab stores neither);
    native histograms are refused because dropping them silently would lose data.
    """
    req = _pb().WriteRequest()
    _parse(req, decompress(body))
    return _series_from_pb(req.timeseries, "WriteRequest")


# -- read -----------------------------------------------------------------------------


def encode_read_request(queries: Sequence[ReadQuery]) -> bytes:
    """A remote-read body asking for the SAMPLES response type."""
    pbm = _pb()
    req = pbm.ReadRequest()
    for q in queries:
        pq = req.queries.add(start_timestamp_ms=q.start_ms, end_timestamp_ms=q.end_ms)
        for m in q.matchers:
            pq.matchers.add(type=_MATCH_TO_PB[m.type], name=m.name, value=m.value)
    req.accepted_response_types.append(pbm.ReadRequest.SAMPLES)
    return compress(req.SerializeToString())


def decode_read_request(body: bytes) -> list[ReadQuery]:
    """Decode a remote-read request; refuse one that only accepts streamed chunks."""
    pbm = _pb()
    req = pbm.ReadRequest()
    _parse(req, decompress(body))
    accepted = list(req.accepted_response_types)
    if accepted and pbm.ReadRequest.SAMPLES not in accepted:
        raise DecodeError(
            "unsupported remote-read response types "
            f"{[pbm.ReadRequest.ResponseType.Name(a) for a in accepted]}: only SAMPLES is served"
        )
    out: list[ReadQuery] = []
    for i, q in enumerate(req.queries):
        matchers: list[Matcher] = []
        for m in q.matchers:
            if m.type not in _PB_TO_MATCH:
                raise DecodeError(f"query {i}: unknown matcher type {m.type}")
            try:
                matchers.append(Matcher(_PB_TO_MATCH[m.type], m.name, m.value))
            except ValueError as exc:
                raise DecodeError(f"query {i}: {exc}") from None
        out.append(ReadQuery(q.start_timestamp_ms, q.end_timestamp_ms, tuple(matchers)))
    return out


def encode_read_response(results: Sequence[Sequence[SeriesData]]) -> bytes:
    """A SAMPLES remote-read response: one ``QueryResult`` per query, snappy-compressed."""
    resp = _pb().ReadResponse()
    for series in results:
        qr = resp.results.add()
        for s in series:
            ts = qr.timeseries.add()
            _labels_pb(ts, s.labels)
            add = ts.samples.add
            for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True):
                add(value=v, timestamp=t)
    return compress(resp.SerializeToString())


def decode_read_response(body: bytes) -> list[list[SeriesData]]:
    resp = _pb().ReadResponse()
    _parse(resp, decompress(body))
    return [_series_from_pb(r.timeseries, f"ReadResponse results[{i}]")
            for i, r in enumerate(resp.results)]  # fmt: skip
