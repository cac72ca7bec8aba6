"""Literal values as Prometheus reads and writes them.

* numbers: Go's ``strconv.ParseInt(s, 0, 64)`` first (so ``0x1F`` and the
  octal ``017`` work), then ``ParseFloat``; ``Inf``/``NaN`` in any case;
* durations: ``model.ParseDuration`` (``1h30m``, ``10ms``, ``2w``, ``1y`` = 365d),
  units largest first, each at most once;
* strings: Go escapes (``\\n``, ``\\x41``, ``\\u00e9``, octal ``\\101`` ...). ``\\x``
  and octal escapes are *bytes*, so a literal may hold invalid UTF-8; such bytes
  are kept as lone surrogates (``surrogateescape``), which the engine can detect
  (``invalid label name``) and :func:`go_quote` prints back as ``\\xNN``.

Each parser raises :class:`LiteralError` with upstream's message.
"""

from __future__ import annotations

import math
import re

from lab.model.durations import parse_model_duration_ms
from lab.model.errors import DurationError, LabError
from lab.model.gostr import go_quote


class LiteralError(LabError, ValueError):
    """A literal is malformed; the message is upstream's."""


_OCTAL = re.compile(r"0[0-7_]+")
_INT = re.compile(r"(?:0[xX]_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|[0-9]+(?:_[0-9]+)*)")


def parse_number(text: str) -> float:
    """The value of a PromQL number literal (unsigned)."""
    low = text.lower()
    if low == "inf":
        return math.inf
    if low == "nan":
        return math.nan
    # ParseInt(s, 0, 64): a leading 0 means octal, as in Go.
    if _OCTAL.fullmatch(text) and len(text) > 1:
        n = int(text.replace("_", ""), 8)
        if n < 1 << 63:
            return float(n)
    elif _INT.fullmatch(text):
        hexadecimal = text[:2].lower() == "0x"
        n = int(text.replace("_", ""), 16 if hexadecimal else 10)
        if n < 1 << 63:
            return float(n)
        if hexadecimal:
            # ParseFloat would want a p exponent for hex; upstream fails here.
            raise LiteralError(
                f'error parsing number: strconv.ParseFloat: parsing "{text}": invalid syntax'
            )
    try:
        value = float(text)
    except ValueError:
        raise LiteralError(
            f'error parsing number: strconv.ParseFloat: parsing "{text}": invalid syntax'
        ) from None
    if math.isinf(value):
        raise LiteralError(
            f'error parsing number: strconv.ParseFloat: parsing "{text}": value out of range'
        )
    return value


_DURATION_START = re.compile(r"[0-9]+[a-zA-Z]")


def parse_duration_ms(text: str) -> int:
    """Milliseconds of a Prometheus duration string such as ``1h30m``."""
    try:
        return parse_model_duration_ms(text)
    except DurationError as exc:
        if exc.reason in ("empty", "invalid"):
            raise LiteralError(f"not a valid duration string: {go_quote(text)}") from None
        raise LiteralError(str(exc)) from None


def parse_duration(text: str) -> float:
    """Seconds of a Prometheus duration string (``5m`` -> 300.0).

    Plain numbers are accepted too, as PromQL 3.x treats them as seconds
    (``"90"`` -> 90.0). Raises :class:`LiteralError`.
    """
    s = text.strip()
    if s and (s[0].isdigit() or s[0] == ".") and not _DURATION_START.match(s):
        return parse_number(s)
    try:
        return parse_duration_ms(s) / 1000.0
    except LiteralError:
        try:
            return parse_number(s)
        except LiteralError:
            pass
        raise


# -- strings ------------------------------------------------------------------

_SIMPLE_ESCAPES = {
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "v": b"\v",
    "\\": b"\\",
}


def describe_rune(c: str) -> str:
    """Go's ``%#U``: ``U+0063 'c'``."""
    code = ord(c)
    if c.isprintable():
        return f"U+{code:04X} '{c}'"
    return f"U+{code:04X}"


def unquote(token: str) -> str:
    """The value of a quoted PromQL string token (with its quotes)."""
    quote = token[0]
    body = token[1:-1]
    if quote == "`":
        return body
    if "\\" not in body:
        return body
    out = bytearray()
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c != "\\":
            j = body.find("\\", i)
            j = n if j < 0 else j
            out += body[i:j].encode("utf-8", "surrogateescape")
            i = j
            continue
        if i + 1 >= n:
            raise LiteralError("escape sequence not terminated")
        e = body[i + 1]
        i += 2
        if e in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[e]
            continue
        if e == quote:
            out += e.encode()
            continue
        if e in "01234567":
            digits, base, width, maximum = e + body[i : i + 2], 8, 3, 255
            i += 2
        elif e == "x":
            digits, base, width, maximum = body[i : i + 2], 16, 2, 255
            i += 2
        elif e == "u":
            digits, base, width, maximum = body[i : i + 4], 16, 4, 0x10FFFF
            i += 4
        elif e == "U":
            digits, base, width, maximum = body[i : i + 8], 16, 8, 0x10FFFF
            i += 8
        else:
            raise LiteralError(f"unknown escape sequence {describe_rune(e)}")
        value = 0
        for k in range(width):
            if k >= len(digits):
                raise LiteralError("escape sequence not terminated")
            d = int(digits[k], 16) if digits[k] in "0123456789abcdefABCDEF" else 99
            if d >= base:
                raise LiteralError(
                    f"illegal character {describe_rune(digits[k])} in escape sequence"
                )
            value = value * base + d
        if value > maximum or 0xD800 <= value < 0xE000:
            raise LiteralError("escape sequence is an invalid Unicode code point")
        if e in "xX01234567":
            out.append(value)
        else:
            out += chr(value).encode("utf-8")
    return out.decode("utf-8", "surrogateescape")


def is_valid_utf8(s: str) -> bool:
    """False if ``s`` holds bytes that were not valid UTF-8 (lone surrogates)."""
    return not any(0xD800 <= ord(c) < 0xE000 for c in s)
