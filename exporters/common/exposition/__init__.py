"""The Prometheus exposition formats: text 0.0.4 and OpenMetrics 1.0.

Parse (``parse``, ``parse_text``, ``parse_openmetrics``, ``parse_response``)
into a columnar ``SampleBatch``; render (``render``, ``render_batch``) from
prometheus_client metric families or from a batch; negotiate the format for an
Accept header (``negotiate``); decompress gzip bodies (``decompress``). Every
error raised on purpose is an ``ExpositionError``.
"""

from .batch import NO_TIMESTAMP, FamilyMeta, SampleBatch
from .compression import decompress
from .errors import (
    ContentTypeError,
    DecompressionError,
    ExpositionError,
    ParseError,
    RenderError,
)
from .formats import (
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    Escaping,
    ExpositionFormat,
)
from .names import escape_name
from .negotiation import Negotiated, format_for_content_type, negotiate, parse_accept
from .numbers import format_float, format_float_openmetrics
from .parser import parse, parse_openmetrics, parse_response, parse_text
from .render import render, render_batch

__all__ = [
    "NO_TIMESTAMP",
    "OPENMETRICS_CONTENT_TYPE",
    "TEXT_CONTENT_TYPE",
    "ContentTypeError",
    "DecompressionError",
    "Escaping",
    "ExpositionError",
    "ExpositionFormat",
    "FamilyMeta",
    "Negotiated",
    "ParseError",
    "RenderError",
    "SampleBatch",
    "decompress",
    "escape_name",
    "format_float",
    "format_float_openmetrics",
    "format_for_content_type",
    "negotiate",
    "parse",
    "parse_accept",
    "parse_openmetrics",
    "parse_response",
    "parse_text",
    "render",
    "render_batch",
]
