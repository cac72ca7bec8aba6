"""Request parameters as Prometheus reads them.

* ``Form``: ``r.FormValue`` semantics: a form-encoded POST body takes
  precedence over the URL query; ``getall("match[]")`` is body values, then
  URL values.
* ``parse_time``: a float of Unix seconds (rounded to the millisecond) or an
  RFC 3339 time; Prometheus's two boundary strings for its min/max time.
* ``parse_duration``: a float of seconds or a Prometheus duration (``1h30m``).

Error texts are upstream's (``cannot parse "x" to a valid timestamp``); the
caller wraps them with the parameter name (``invalid parameter "start": ...``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lab.model.durations import parse_model_duration_ms
from lab.model.errors import DurationError
from lab.model.gostr import go_quote
from lab.server.api.errors import BadDataError, invalid_param

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_UNIX_TO_INTERNAL = 62135596801  # seconds from year 1 to 1970, plus one (as Go's)
#: Prometheus's ``MinTime`` / ``MaxTime`` in milliseconds, and how it prints them.
MIN_TIME_MS = (int(_INT64_MIN / 1000) + _UNIX_TO_INTERNAL) * 1000
MAX_TIME_MS = (int(_INT64_MAX / 1000) - _UNIX_TO_INTERNAL) * 1000 + 999
_MIN_TIME_TEXT = "-292273086-05-16T16:47:06Z"
_MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z"

# Go's strconv.ParseFloat: decimal or hex mantissa, inf/infinity/nan in any case.
_GO_FLOAT = re.compile(
    r"[+-]?(?:(?:\d(?:_?\d)*)?\.?\d*(?:[eE][+-]?\d+)?"
    r"|0[xX](?:_?[0-9a-fA-F])*\.?[0-9a-fA-F]*(?:[pP][+-]?\d+)"
    r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)
def go_parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)``, or None where Go returns an error
    (including out-of-range values, which Go rejects)."""
    if not text or not _GO_FLOAT.fullmatch(text) or text in ("+", "-", ".", "+.", "-."):
        return None
    body = text.lstrip("+-")
    try:
        if body[:2].lower() == "0x":
            value = float.fromhex(text.replace("_", ""))
        elif "_" in text:
            return None  # Go only allows underscores after a base prefix
        else:
            value = float(text)
    except (ValueError, OverflowError):
        return None
    if math.isinf(value) and body[:1].lower() != "i":
        return None  # overflow: Go's ErrRange
    return value


def _round_half_away(x: float) -> float:
    return math.floor(x + 0.5) if x >= 0 else math.ceil(x - 0.5)


def parse_time(text: str) -> int:
    """Milliseconds since the epoch; raises ``ValueError`` with upstream's text."""
    value = go_parse_float(text)
    if value is not None:
        if not math.isfinite(value):
            raise ValueError(f"cannot parse {go_quote(text)} to a valid timestamp")
        whole = math.trunc(value)
        frac_ms = _round_half_away((value - whole) * 1000.0)
        return _clamp_ms(int(whole) * 1000 + int(frac_ms))
    m = _RFC3339.fullmatch(text)
    if m:
        try:
            return _rfc3339_ms(m)
        except ValueError:
            pass
    if text == _MIN_TIME_TEXT:
        return MIN_TIME_MS
    if text == _MAX_TIME_TEXT:
        return MAX_TIME_MS
    raise ValueError(f"cannot parse {go_quote(text)} to a valid timestamp")


def _rfc3339_ms(m: re.Match[str]) -> int:
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    zone = m.group(8)
    offset_s = 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 23 or zm > 59:
            raise ValueError("bad zone")
        offset_s = sign * (zh * 3600 + zm * 60)
    base = datetime(year, month, day, hour, minute, second)  # validates the fields
    epoch_s = (base - datetime(1970, 1, 1)).days * 86400 + hour * 3600 + minute * 60 + second
    epoch_s -= offset_s
    frac = (m.group(7) or "")[:9].ljust(9, "0")
    return _clamp_ms(epoch_s * 1000 + int(frac) // 1_000_000)


def _clamp_ms(ms: int) -> int:
    return min(max(ms, MIN_TIME_MS), MAX_TIME_MS)


def parse_duration_ms(text: str) -> float:
    """A duration in milliseconds (fractional for sub-millisecond floats);
    raises ``ValueError`` with upstream's text."""
    value = go_parse_float(text)
    if value is not None:
        ns = value * 1e9
        if not math.isfinite(ns) or ns > _INT64_MAX or ns < _INT64_MIN:
            if math.isnan(ns):
                raise ValueError(f"cannot parse {go_quote(text)} to a valid duration")
            raise ValueError(
                f"cannot parse {go_quote(text)} to a valid duration. It overflows int64"
            )
        return math.trunc(ns) / 1e6
    ms = prometheus_duration_ms(text)
    if ms is None:
        raise ValueError(f"cannot parse {go_quote(text)} to a valid duration")
    return float(ms)


def prometheus_duration_ms(text: str) -> int | None:
    """``model.ParseDuration`` (``1y2w3d4h5m6s7ms``, or ``0``) in milliseconds."""
    try:
        return parse_model_duration_ms(text)
    except DurationError:
        return None


@dataclass(frozen=True, slots=True)
class Form:
    """The request's parameters: form body first, then the URL query."""

    body: Mapping[str, Sequence[str]] = field(default_factory=dict)
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        for source in (self.body, self.query):
            values = source.get(name)
            if values:
                return values[0]
        return ""

    def has(self, name: str) -> bool:
        return bool(self.body.get(name) or self.query.get(name))

    def getall(self, name: str) -> list[str]:
        return [*self.body.get(name, ()), *self.query.get(name, ())]

    def time(self, name: str, default_ms: int) -> int:
        """A time parameter read as ``parseTimeParam`` does (absent -> default)."""
        text = self.get(name)
        if not text:
            return default_ms
        try:
            return parse_time(text)
        except ValueError as exc:
            raise invalid_param(name, f"Invalid time value for '{name}': {exc}") from None

    def limit(self, name: str = "limit") -> int | None:
        """An integer ``limit`` as the metadata endpoints read it (None: absent)."""
        text = self.get(name)
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise BadDataError(f"{name} must be a number") from None
