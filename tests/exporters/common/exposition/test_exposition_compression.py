"""gzip bodies: by header or by magic bytes; bad streams and bombs are refused."""

from __future__ import annotations

import gzip

import pytest

from exporters.common.exposition import DecompressionError, ExpositionError, decompress

BODY = b"# TYPE a gauge\na 1\n" * 1000


def test_plain_body_passes_through() -> None:
    assert decompress(BODY) == BODY
    assert decompress(BODY, "identity") == BODY
    assert decompress(b"") == b""


@pytest.mark.parametrize("encoding", ["gzip", "GZIP", " gzip ", "x-gzip", "identity, gzip", None])
def test_gzip_by_header_or_magic(encoding: str | None) -> None:
    assert decompress(gzip.compress(BODY), encoding) == BODY


def test_concatenated_gzip_members() -> None:
    assert decompress(gzip.compress(b"a 1\n") + gzip.compress(b"b 2\n"), "gzip") == b"a 1\nb 2\n"


def test_header_says_gzip_but_body_is_not() -> None:
    with pytest.raises(DecompressionError, match="invalid gzip body"):
        decompress(BODY, "gzip")


def test_magic_bytes_then_garbage() -> None:
    with pytest.raises(DecompressionError, match="invalid gzip body"):
        decompress(b"\x1f\x8b\x08\x00garbage")


def test_truncated_stream() -> None:
    with pytest.raises(DecompressionError, match="truncated"):
        decompress(gzip.compress(BODY)[:-10], "gzip")


def test_unsupported_encoding() -> None:
    with pytest.raises(DecompressionError, match="unsupported Content-Encoding 'snappy'"):
        decompress(b"...", "snappy")


def test_decompressed_size_limit() -> None:
    bomb = gzip.compress(b"\n" * 10_000_000)
    with pytest.raises(DecompressionError, match="exceeds 1000000 bytes"):
        decompress(bomb, max_bytes=1_000_000)
    assert len(decompress(bomb, max_bytes=10_000_000)) == 10_000_000


def test_errors_are_exposition_errors() -> None:
    with pytest.raises(ExpositionError):
        decompress(b"x", "br")
