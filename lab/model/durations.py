"""The duration spellings of the Prometheus ecosystem, parsed and printed.

* Prometheus's ``model.Duration`` (prometheus/common): ``model.ParseDuration``
  (``1h30m``, ``10ms``, ``2w``, ``1y`` = 365d, ``0``; integer amounts, units
  largest first, each at most once) and ``Duration.String()``, in milliseconds:
  :func:`parse_model_duration_ms`, :func:`format_model_duration_ms`.
* Go's ``time.Duration``: ``time.ParseDuration`` (``1.5h``, ``-300ms``,
  ``1h2m3.5s``, ``us``/``µs``/``ns``) and ``Duration.String()`` (``1h2m3.5s``,
  ``0s``, ``1.5µs``), in nanoseconds: :func:`parse_go_duration_ns`,
  :func:`format_go_duration_ns`.

Errors are :class:`~lab.model.errors.DurationError` with upstream's text and a
``reason`` for callers that word them their own way.
"""

from __future__ import annotations

import re
from typing import Final

from lab.model.errors import DurationError
from lab.model.labels import quote

_DAY_MS: Final = 86_400_000
#: model.Duration's units, largest first, in milliseconds.
MODEL_UNITS_MS: Final = {
    "y": 365 * _DAY_MS,
    "w": 7 * _DAY_MS,
    "d": _DAY_MS,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}
_MODEL_ORDER: Final = tuple(MODEL_UNITS_MS)
_MODEL_PART: Final = re.compile(r"([0-9]+)([a-zA-Z]+)")
#: The largest model duration: upstream keeps a time.Duration (int64 ns).
MAX_MODEL_DURATION_MS: Final = (1 << 63) // 1_000_000


def parse_model_duration_ms(text: str) -> int:
    """``model.ParseDuration``: milliseconds of ``1h30m``, ``10ms``, ``0``.

    Raises :class:`DurationError`: ``empty duration string`` (reason
    ``empty``), ``not a valid duration string: "5m1h"`` (``invalid``: bad
    syntax, units out of order or repeated), ``unknown unit "x" in duration
    "5x"`` (``unit``), ``duration out of range`` (``range``)."""
    if text == "0":
        return 0
    if not text:
        raise DurationError("empty duration string", "empty")
    pos = 0
    total = 0
    last = -1
    while pos < len(text):
        m = _MODEL_PART.match(text, pos)
        if m is None:
            break
        pos = m.end()
        unit = m.group(2)
        size = MODEL_UNITS_MS.get(unit)
        if size is None:
            raise DurationError(f"unknown unit {quote(unit)} in duration {quote(text)}", "unit")
        order = _MODEL_ORDER.index(unit)
        if order <= last:
            break
        last = order
        total += int(m.group(1)) * size
        if total > MAX_MODEL_DURATION_MS:
            raise DurationError("duration out of range", "range")
    else:
        return total
    raise DurationError(f"not a valid duration string: {quote(text)}", "invalid")


def format_model_duration_ms(ms: int, *, exact_years_weeks: bool = False) -> str:
    """``model.Duration.String()``: ``1h30m``, ``500ms``, ``0s``, ``-5m``.

    With ``exact_years_weeks`` years and weeks are used only when they divide
    the duration (``90d``, not ``12w6d``), as prometheus/common since v0.40."""
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    rest = abs(ms)
    parts: list[str] = []
    for unit, size in MODEL_UNITS_MS.items():
        if exact_years_weeks and unit in ("y", "w") and rest % size:
            continue
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n}{unit}")
    return sign + "".join(parts)


# -- Go's time.Duration --------------------------------------------------------------

_US: Final = 1_000
_MS: Final = 1_000_000
_S: Final = 1_000_000_000
_GO_UNITS_NS: Final = {
    "ns": 1,
    "us": _US,
    "µs": _US,  # U+00B5 micro sign
    "μs": _US,  # U+03BC Greek mu
    "ms": _MS,
    "s": _S,
    "m": 60 * _S,
    "h": 3600 * _S,
}
_DAY_UNITS_NS: Final = {"d": 86_400 * _S, "w": 7 * 86_400 * _S, "y": 365 * 86_400 * _S}
_DIGITS: Final = frozenset("0123456789")
_U63: Final = 1 << 63


def _time_quote(s: str) -> str:
    """The ``time`` package's own quote: non-ASCII and control bytes as ``\\xNN``."""
    out = ['"']
    for c in s:
        if c < " " or c >= "\x80":
            out.extend(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogateescape"))
        else:
            out.append("\\" + c if c in '"\\' else c)
    out.append('"')
    return "".join(out)


def parse_go_duration_ns(text: str, *, day_units: bool = False) -> int:
    """``time.ParseDuration``: nanoseconds of ``1.5h``, ``-300ms``, ``1h2m3.5s``.

    Units are ``ns``, ``us``/``µs``/``μs``, ``ms``, ``s``, ``m``, ``h``, in any
    order; ``day_units`` adds ``d``, ``w`` and ``y`` (365d) as some flags accept.
    Raises :class:`DurationError` with Go's text (``time: invalid duration
    "x"``, reason ``invalid`` or ``range``; ``time: missing unit in duration
    "1"``; ``time: unknown unit "x" in duration "1x"``)."""
    orig = text
    invalid = f"time: invalid duration {_time_quote(orig)}"
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise DurationError(invalid, "invalid")
    units = {**_GO_UNITS_NS, **_DAY_UNITS_NS} if day_units else _GO_UNITS_NS
    total = 0
    n = len(s)
    i = 0
    while i < n:
        if not (s[i] == "." or s[i] in _DIGITS):
            raise DurationError(invalid, "invalid")
        start = i
        while i < n and s[i] in _DIGITS:
            i += 1
        v = int(s[start:i]) if i > start else 0
        if v > _U63:  # Go's leadingInt overflows
            raise DurationError(invalid, "range")
        pre = i > start
        frac, scale, post = 0, 1.0, False
        if i < n and s[i] == ".":
            i += 1
            fstart = i
            overflow = False
            while i < n and s[i] in _DIGITS:
                if not overflow:
                    y = frac * 10 + int(s[i])
                    if frac > (_U63 - 1) // 10 or y > _U63:
                        overflow = True  # stop accumulating precision, as Go
                    else:
                        frac = y
                        scale *= 10
                i += 1
            post = i > fstart
        if not pre and not post:
            raise DurationError(invalid, "invalid")
        ustart = i
        while i < n and not (s[i] == "." or s[i] in _DIGITS):
            i += 1
        if i == ustart:
            raise DurationError(
                f"time: missing unit in duration {_time_quote(orig)}", "missing_unit"
            )
        unit = s[ustart:i]
        size = units.get(unit)
        if size is None:
            raise DurationError(
                f"time: unknown unit {_time_quote(unit)} in duration {_time_quote(orig)}",
                "unit",
            )
        if v > _U63 // size:
            raise DurationError(invalid, "range")
        v *= size
        if frac > 0:
            # float64, as Go: nanosecond-accurate for fractions of hours.
            v += int(float(frac) * (float(size) / scale))
            if v > _U63:
                raise DurationError(invalid, "range")
        total += v
        if total > _U63:
            raise DurationError(invalid, "range")
    if neg:
        return -total
    if total > _U63 - 1:
        raise DurationError(invalid, "range")
    return total


def _frac(v: int, prec: int) -> tuple[str, int]:
    """Go's ``fmtFrac``: the ``prec`` low decimal digits of ``v`` as ``.ddd``
    without trailing zeros (nothing if all zero), and ``v`` without them."""
    v, low = divmod(v, 10**prec)
    digits = f"{low:0{prec}d}".rstrip("0")
    return ("." + digits if digits else ""), v


def format_go_duration_ns(ns: int) -> str:
    """``time.Duration.String()``: ``1h2m3.5s``, ``1m0s``, ``1.5µs``, ``0s``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < _S:
        if u < _US:
            return f"{sign}{u}ns"
        unit, prec = ("µs", 3) if u < _MS else ("ms", 6)
        frac, whole = _frac(u, prec)
        return f"{sign}{whole}{frac}{unit}"
    frac, secs = _frac(u, 9)
    minutes, secs = divmod(secs, 60)
    text = f"{secs}{frac}s"
    if minutes:
        hours, minutes = divmod(minutes, 60)
        text = f"{minutes}m{text}"
        if hours:
            text = f"{hours}h{text}"
    return sign + text
