"""gzip request/response bodies.

Pushgateway clients send ``Content-Encoding: gzip``; some senders compress
without saying so, so the gzip magic bytes also trigger decompression. Any
other encoding is refused (the pushgateway also takes snappy; we do not).
"""

from __future__ import annotations

import zlib
from typing import Final

from .errors import DecompressionError

GZIP_MAGIC: Final = b"\x1f\x8b"
_CHUNK: Final = 1 << 20


def decompress(
    body: bytes, content_encoding: str | None = None, *, max_bytes: int | None = None
) -> bytes:
    """``body`` decoded per ``Content-Encoding`` (or its magic bytes).

    ``max_bytes`` bounds the decompressed size (a small gzip body can expand a
    thousandfold); exceeding it raises ``DecompressionError``.
    """
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",")]
    encodings = [e for e in encodings if e and e != "identity"]
    for encoding in encodings:
        if encoding not in ("gzip", "x-gzip"):
            raise DecompressionError(
                f"unsupported Content-Encoding {encoding!r}; expected gzip or identity"
            )
    if not encodings and body.startswith(GZIP_MAGIC):
        encodings = ["gzip"]
    for _ in encodings:
        body = _gunzip(body, max_bytes)
    return body


def _gunzip(data: bytes, max_bytes: int | None) -> bytes:
    out: list[bytes] = []
    size = 0
    while True:  # a gzip stream may hold several members back to back
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while True:
                room = _CHUNK if max_bytes is None else max(1, min(_CHUNK, max_bytes - size + 1))
                chunk = inflater.decompress(data, room)
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise DecompressionError(
                        f"gzip body exceeds {max_bytes} bytes once decompressed"
                    )
                out.append(chunk)
                data = inflater.unconsumed_tail
                if inflater.eof or (not data and not chunk):
                    break
        except zlib.error as exc:
            raise DecompressionError(f"invalid gzip body: {exc}") from None
        if not inflater.eof:
            raise DecompressionError("invalid gzip body: truncated stream")
        data = inflater.unused_data
        if not data:
            return b"".join(out)
