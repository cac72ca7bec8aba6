"""Errors of the exposition package (parse, render, decompress).

* ``ExpositionError`` (a ``lab.model.errors.LabError``) — root: every error this
  package raises on purpose
  * ``ParseError`` (also ``ValueError``) — the payload is not valid text 0.0.4 /
    OpenMetrics; the message says where and what was expected:
    ``line 3, col 14: expected "=" after label name, got "}"``
  * ``DecompressionError`` (also ``ValueError``) — a body that says it is gzip
    (header or magic bytes) does not decompress
  * ``RenderError`` (also ``ValueError``) — a metric family cannot be written in
    the requested format (invalid name, NaN timestamp, ...)
  * ``ContentTypeError`` (also ``ValueError``) — a response's Content-Type names
    neither exposition format and no fallback was given

Callers that serve HTTP map any ``ExpositionError`` to a 4xx with ``str(err)``.
"""

from __future__ import annotations

from lab.model.errors import LabError


class ExpositionError(LabError):
    """Root of the exposition package's errors; the message is for the user."""


class ParseError(ExpositionError, ValueError):
    """Invalid exposition text, with a 1-based line and column (in characters)."""

    def __init__(self, line: int, col: int, reason: str) -> None:
        super().__init__(f"line {line}, col {col}: {reason}")
        self.line = line
        self.col = col
        self.reason = reason


class DecompressionError(ExpositionError, ValueError):
    """A compressed body that does not decompress (or is too large once decompressed)."""


class RenderError(ExpositionError, ValueError):
    """A metric family that cannot be rendered in the requested format."""


class ContentTypeError(ExpositionError, ValueError):
    """A Content-Type that names no exposition format we parse."""
