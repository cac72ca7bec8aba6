"""Numbers as the exposition formats write them.

Values: Prometheus parses them with Go's ``strconv.ParseFloat`` after refusing
any ``p``, ``P`` or ``_`` (expfmt and textparse both do that), so the accepted
grammar is: an optional sign, digits with an optional fraction and exponent,
``inf``/``infinity`` (optional sign) or ``nan`` (no sign), case-insensitive; a
finite literal that overflows float64 is an error (Go's ``ErrRange``). Python's
``float()`` accepts more (``1_000``, surrounding whitespace, ``+nan``,
non-ASCII digits), so every token is held to ``FLOAT_PATTERN`` first.

Formatting follows Go's ``strconv.FormatFloat(f, 'g', -1, 64)``: shortest
round-trip digits, exponent form when the decimal exponent is < -4 or >= 6
(Go decides with precision 6 when the digits are the shortest ones), so
``100000`` but ``1e+06``, ``0.0001`` but ``1e-05``, ``1e+21``.
"""

from __future__ import annotations

import math
import re
from typing import Final

FLOAT_PATTERN: Final = (
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|[nN][aA][nN]"
)
_FLOAT_RE: Final = re.compile(FLOAT_PATTERN)
_REALNUMBER_RE: Final = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_REALNUMBER_STRICT_RE: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT_RE: Final = re.compile(r"[+-]?[0-9]+")

#: Milliseconds must fit int64; the most negative value is the "no timestamp" sentinel.
_TS_MIN: Final = -(2**63) + 1
_TS_MAX: Final = 2**63 - 1

INF: Final = math.inf


def parse_float(token: str) -> float | None:
    """The value of a sample-value token as Go reads it, or None if Go refuses it."""
    if _FLOAT_RE.fullmatch(token) is None:
        return None
    value = float(token)
    if value in (INF, -INF) and token.lstrip("+-")[:1] not in ("i", "I"):
        return None  # a finite literal beyond float64: ErrRange in Go
    return value


def float_problem(token: str) -> str:
    """Why ``parse_float(token)`` is None, for error messages."""
    if _FLOAT_RE.fullmatch(token) is None:
        return f"expected float value, got {show(token)}"
    return f"value {show(token)} is out of float64 range"


def parse_int_timestamp(token: str) -> int | None:
    """A text-format timestamp (int64 milliseconds, Go ``ParseInt(s, 10, 64)``)."""
    if _INT_RE.fullmatch(token) is None or len(token.lstrip("+-0")) > 19:
        return None
    value = int(token)
    return value if _TS_MIN <= value <= _TS_MAX else None


def int_timestamp_problem(token: str) -> str:
    """Why ``parse_int_timestamp(token)`` is None, for error messages."""
    if _INT_RE.fullmatch(token):
        return f"timestamp {show(token)} is out of int64 range"
    return f"expected integer timestamp (milliseconds), got {show(token)}"


def seconds_timestamp_problem(token: str, what: str = "timestamp") -> str:
    """Why ``parse_seconds_timestamp(token)`` is None, for error messages."""
    if _REALNUMBER_STRICT_RE.fullmatch(token):
        return f"{what} {show(token)} is out of range"
    return f"expected {what} in seconds (a decimal number), got {show(token)}"


def parse_seconds_timestamp(token: str) -> int | None:
    """An OpenMetrics timestamp (float seconds) as int milliseconds, or None.

    The decimal text is converted exactly and truncated toward zero, so
    ``1.001`` is 1001 ms (``int(1.001 * 1000)`` would give 1000).
    """
    m = _REALNUMBER_RE.fullmatch(token)
    if m is None:
        return None
    sign, whole, frac, exp_text = m.groups()
    frac = frac or ""
    if not whole and not frac:
        return None
    digits = (whole + frac).lstrip("0")
    if not digits:
        return 0
    if exp_text is None:
        exp = 0
    elif len(exp_text.lstrip("+-0")) > 6:  # absurd exponent: only the sign matters
        return 0 if exp_text.startswith("-") else None
    else:
        exp = int(exp_text)
    shift = exp - len(frac) + 3  # value in ms = int(digits) * 10**shift
    integer_digits = len(digits) + shift
    if integer_digits <= 0:
        return 0
    if integer_digits > 19:
        return None
    ms = int(digits + "0" * shift) if shift >= 0 else int(digits[:integer_digits])
    if sign == "-":
        ms = -ms
    return ms if _TS_MIN <= ms <= _TS_MAX else None


def format_float(value: float) -> str:
    """Go's ``FormatFloat(value, 'g', -1, 64)``, with ``+Inf``/``-Inf``/``NaN``."""
    # Most exposed values are small integers (counts, bytes, states): the
    # integer's digits are the shortest ones, no exponent below 1e6; -0 is not.
    if (
        value.__class__ is float
        and value.is_integer()
        and -1e6 < value < 1e6
        and (value or math.copysign(1.0, value) > 0)
    ):
        return str(int(value))
    if value != value:
        return "NaN"
    if value == INF:
        return "+Inf"
    if value == -INF:
        return "-Inf"
    text = repr(value)
    # Python's repr has the same shortest digits; it differs from Go only in
    # writing integral values as "5.0" and in switching to the exponent form
    # at 1e16 rather than 1e6.
    if "e" in text:
        return text
    if text.endswith(".0"):
        text = text[:-2]
        if text == "-0":
            return text
    if -1e6 < value < 1e6:
        return text
    sign = "-" if text[0] == "-" else ""
    whole, _, frac = text.lstrip("-").partition(".")
    digits = (whole + frac).rstrip("0")
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e+{len(whole) - 1:02d}"


def format_float_openmetrics(value: float) -> str:
    """As ``format_float``, with ``.0`` added to integral values (``1.0``,
    ``100000.0``) as client_golang and the OpenMetrics canonical numbers do."""
    text = format_float(value)
    if text[-1].isdigit() and "." not in text and "e" not in text:
        return text + ".0"
    return text


def format_seconds_timestamp(ms: int) -> str:
    """Milliseconds as exact decimal seconds: ``1520879607789`` -> ``1520879607.789``."""
    sign = "-" if ms < 0 else ""
    seconds, millis = divmod(abs(ms), 1000)
    if not millis:
        return f"{sign}{seconds}"
    return f"{sign}{seconds}.{millis:03d}".rstrip("0")


def show(text: str) -> str:
    """A token quoted for an error message, control characters escaped."""
    out = []
    for ch in text[:40]:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + ('..."' if len(text) > 40 else '"')
