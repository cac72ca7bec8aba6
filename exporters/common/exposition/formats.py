"""The two wire formats, their Content-Types, and the name-escaping schemes.

``TEXT`` is the Prometheus text format 0.0.4; its 1.0.0 revision (Prometheus
3.x) is the same syntax plus quoted UTF-8 names, which the parser always
accepts. ``OPENMETRICS`` is OpenMetrics 1.0 text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final


class ExpositionFormat(enum.Enum):
    TEXT = "text"
    OPENMETRICS = "openmetrics"


class Escaping(enum.Enum):
    """How names outside ``[a-zA-Z_:][a-zA-Z0-9_:]*`` are written (the ``escaping=``
    Accept parameter, as in Prometheus/client_golang)."""

    ALLOW_UTF8 = "allow-utf-8"
    UNDERSCORES = "underscores"
    DOTS = "dots"
    VALUES = "values"


TEXT_CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE: Final = "application/openmetrics-text; version=1.0.0; charset=utf-8"

#: TYPE words of each format, as written on the wire.
TEXT_TYPES: Final = frozenset({"counter", "gauge", "histogram", "summary", "untyped"})
OPENMETRICS_TYPES: Final = frozenset(
    {"counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"}
)

#: OpenMetrics: the sample-name suffixes each family type allows.
OPENMETRICS_SUFFIXES: Final[dict[str, tuple[str, ...]]] = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}
#: OpenMetrics: (family type, sample suffix) pairs that may carry an exemplar.
EXEMPLAR_SAMPLES: Final = frozenset(
    {("counter", "_total"), ("histogram", "_bucket"), ("gaugehistogram", "_bucket")}
)
#: The label holding a number: ``le`` on buckets, ``quantile`` on summary quantiles,
#: with the suffix of the samples that must carry it in OpenMetrics.
NUMERIC_LABEL: Final = {
    "histogram": ("le", "_bucket"),
    "gaugehistogram": ("le", "_bucket"),
    "summary": ("quantile", ""),
}
#: Text 0.0.4 (expfmt): which sample suffixes file a sample under a summary or
#: histogram family of the base name.
TEXT_FAMILY_SUFFIXES: Final = (
    ("summary", ("_count", "_sum")),
    ("histogram", ("_count", "_sum", "_bucket")),
)


def text_family_of(name: str, families: Mapping[str, str | None]) -> str | None:
    """The family expfmt files a text-format name under, given the families so far
    (name -> TYPE, None while untyped): the name itself, or the summary/histogram
    its ``_count``/``_sum``/``_bucket`` suffix points at; None means a new family."""
    if name in families:
        return name
    for kind, suffixes in TEXT_FAMILY_SUFFIXES:
        for suffix in suffixes:
            base = name[: -len(suffix)]
            if name.endswith(suffix) and base and families.get(base) == kind:
                return base
    return None
