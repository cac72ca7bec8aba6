"""Content negotiation: which format to serve for an ``Accept`` header, and
which parser a scraped response's ``Content-Type`` calls for.

Follows client_golang's ``NegotiateAccept`` (what node_exporter and the
pushgateway run): media ranges are tried by falling q-value (ties: more
specific first, then header order); the first exact match that we serve wins;
wildcards do not select OpenMetrics; anything else gets text 0.0.4. Unknown
``escaping`` values are ignored; a recognised one is echoed in the
Content-Type.
"""

from __future__ import annotations

from dataclasses import dataclass

from .formats import OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, Escaping, ExpositionFormat

_ESCAPINGS = {e.value: e for e in Escaping}


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The answer: the format to render, how to escape names, the Content-Type to send."""

    format: ExpositionFormat
    escaping: Escaping
    content_type: str


@dataclass(frozen=True, slots=True)
class MediaRange:
    type: str  # lower-case "type/subtype"
    params: dict[str, str]  # lower-case keys, unquoted values (q removed)
    q: float


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, most preferred first."""
    ranges = []
    for position, item in enumerate(_split(header or "", ",")):
        parts = _split(item, ";")
        media = parts[0].strip().lower() if parts else ""
        if not media:
            continue
        params: dict[str, str] = {}
        q = 1.0
        for param in parts[1:]:
            key, _, value = param.partition("=")
            key, value = key.strip().lower(), value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if key == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0  # as goautoneg: an unparsable q is 0
                if q != q:
                    q = 0.0
            elif key:
                params[key] = value
        wildcards = media.count("*")
        ranges.append((-q, wildcards, position, MediaRange(media, params, q)))
    ranges.sort(key=lambda r: r[:3])
    return [r[3] for r in ranges]


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def negotiate(accept: str | None, *, openmetrics: bool = True) -> Negotiated:
    """Choose text 0.0.4 or OpenMetrics 1.0.0 for an Accept header.

    ``openmetrics=False`` serves text only (as node_exporter 1.5 does).
    """
    for media in parse_accept(accept):
        if media.q <= 0:
            continue
        version = media.params.get("version", "")
        escaping_param = _ESCAPINGS.get(media.params.get("escaping", ""))
        escaping = escaping_param or Escaping.UNDERSCORES
        suffix = f"; escaping={escaping.value}" if escaping_param else ""
        if media.type == "application/openmetrics-text" and openmetrics:
            if version in ("", "1.0.0"):
                return Negotiated(
                    ExpositionFormat.OPENMETRICS, escaping, OPENMETRICS_CONTENT_TYPE + suffix
                )
            if version == "0.0.1":
                content_type = "application/openmetrics-text; version=0.0.1; charset=utf-8"
                return Negotiated(ExpositionFormat.OPENMETRICS, escaping, content_type + suffix)
        elif media.type == "text/plain":
            if version in ("", "0.0.4"):
                return Negotiated(ExpositionFormat.TEXT, escaping, TEXT_CONTENT_TYPE + suffix)
            if version == "1.0.0":
                content_type = "text/plain; version=1.0.0; charset=utf-8"
                return Negotiated(ExpositionFormat.TEXT, escaping, content_type + suffix)
    return Negotiated(ExpositionFormat.TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE)


def format_for_content_type(content_type: str | None) -> ExpositionFormat | None:
    """The parser a response's Content-Type calls for; None when it names neither
    format (the caller decides on a fallback, as Prometheus'
    ``fallback_scrape_protocol`` does)."""
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/openmetrics-text":
        return ExpositionFormat.OPENMETRICS
    if media == "text/plain":
        return ExpositionFormat.TEXT
    return None
