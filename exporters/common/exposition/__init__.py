"""The Prometheus exposition formats: text 0.0.4 and OpenMetrics 1.0.

Parse (``parse``, ``parse_text``, ``parse_openmetrics``, ``parse_response``)
into a columnar ``SampleBatch``; render (``render``, ``render_batch``) from
prometheus_client metric families or from a batch; negotiate the format for an
Accept header (``negotiate``); decompress gzip bodies (``decompress``). Every
error raised on purpose is an ``ExpositionError``.

The parse side (``SampleBatch`` and the parsers) needs numpy, ~13 MB of RSS
that an exporter which only renders (the node exporter, a DaemonSet) should
not pay: those names are imported on first use (PEP 562), so
``import exporters.common.exposition`` plus ``render`` leaves numpy out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.model.lazy import lazy_attributes

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
from .render import render, render_batch

if TYPE_CHECKING:
    from .batch import NO_TIMESTAMP, FamilyMeta, SampleBatch
    from .parser import parse, parse_openmetrics, parse_response, parse_text

#: name -> submodule, for the numpy-backed names imported on first use.
_LAZY = {
    "NO_TIMESTAMP": "batch",
    "FamilyMeta": "batch",
    "SampleBatch": "batch",
    "parse": "parser",
    "parse_openmetrics": "parser",
    "parse_response": "parser",
    "parse_text": "parser",
}


__getattr__ = lazy_attributes(__name__, _LAZY, globals())


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
