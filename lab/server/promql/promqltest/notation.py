"""The value notation of promqltest scripts: series descriptors and expanding values.

``http_requests{job="api"}  0+10x3 _ stale 5`` is a series descriptor (a
selector with equality matchers only) followed by values: ``0+10x3`` expands to
0 10 20 30 (repeated addition, as upstream, so float rounding matches), ``_`` is
an empty position, ``_x3`` three of them, ``stale`` the staleness marker.
Native histograms (``{{...}}``) are recognised but not modelled: their
positions are reported so the caller can mark the series as histogram data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lab.model.durations import parse_model_duration_ms
from lab.model.errors import DurationError
from lab.model.labels import METRIC_NAME, Labels
from lab.model.value import STALE_NAN


class NotationError(ValueError):
    """A malformed line in a test script."""


_NUM = r"(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?i:inf)|(?i:nan))"
_UNSIGNED = r"(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf)|(?i:nan))"
_EXPAND = re.compile(rf"^({_NUM})(?:([+-])({_UNSIGNED}))?x(\d+)$")
_NUMBER = re.compile(rf"^{_NUM}$")


def parse_duration_ms(text: str) -> int:
    """A Prometheus duration (``5m``, ``1h30m``, ``10s53ms``, ``0``) in ms."""
    text = text.strip()
    try:
        return parse_model_duration_ms(text)
    except DurationError:
        raise NotationError(f"not a valid duration string: {text!r}") from None


def parse_number(text: str) -> float:
    """A Go-style number: int (incl. hex) or float, incl. Inf/NaN."""
    t = text.strip()
    try:
        return float(int(t, 0))
    except ValueError:
        pass
    low = t.lower()
    if low in ("inf", "+inf", "infinity", "+infinity"):
        return float("inf")
    if low in ("-inf", "-infinity"):
        return float("-inf")
    if low in ("nan", "+nan", "-nan"):
        return float("nan")
    if not _NUMBER.match(t):
        raise NotationError(f"not a number: {text!r}")
    return float(t)


def is_number(text: str) -> bool:
    try:
        parse_number(text)
    except NotationError:
        return False
    return True


# -- series descriptors -------------------------------------------------------------------


def _unquote(text: str, i: int) -> tuple[str, int]:
    """Read a Go-quoted string starting at ``text[i]``; return (value, next index)."""
    q = text[i]
    j = i + 1
    out: list[str] = []
    if q == "`":
        end = text.index("`", j)
        return text[j:end], end + 1
    while j < len(text):
        c = text[j]
        if c == q:
            return "".join(out), j + 1
        if c == "\\":
            j += 1
            e = text[j]
            simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'",
                      "a": "\a", "b": "\b", "f": "\f", "v": "\v"}  # fmt: skip
            if e in simple:
                out.append(simple[e])
                j += 1
            elif e == "x":
                out.append(chr(int(text[j + 1 : j + 3], 16)))
                j += 3
            elif e == "u":
                out.append(chr(int(text[j + 1 : j + 5], 16)))
                j += 5
            elif e == "U":
                out.append(chr(int(text[j + 1 : j + 9], 16)))
                j += 9
            elif e in "01234567":
                out.append(chr(int(text[j : j + 3], 8)))
                j += 3
            else:
                raise NotationError(f"unknown escape sequence \\{e}")
            continue
        out.append(c)
        j += 1
    raise NotationError("unterminated quoted string")


_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:.]*")


def parse_series_descriptor(text: str) -> tuple[Labels, str]:
    """Split ``name{l="v"} rest`` into the labels and the rest of the line."""
    text = text.strip()
    pairs: list[tuple[str, str]] = []
    i = 0
    m = _IDENT.match(text)
    if m:
        pairs.append((METRIC_NAME, m.group(0)))
        i = m.end()
    if i < len(text) and text[i] == "{":
        i += 1
        while True:
            while i < len(text) and text[i] in " \t,":
                i += 1
            if i >= len(text):
                raise NotationError("unterminated label set")
            if text[i] == "}":
                i += 1
                break
            if text[i] in "\"'`":
                name, i = _unquote(text, i)
            else:
                nm = _IDENT.match(text, i)
                if not nm:
                    raise NotationError(f"unexpected character in label set: {text[i]!r}")
                name, i = nm.group(0), nm.end()
            while i < len(text) and text[i] in " \t":
                i += 1
            if i < len(text) and text[i] in ",}":
                # a bare quoted name is a metric name: {"my.metric"}
                pairs.append((METRIC_NAME, name))
                continue
            if not text.startswith("=", i) or text.startswith("=~", i):
                raise NotationError("only equality matchers are allowed in series descriptors")
            i += 1
            while i < len(text) and text[i] in " \t":
                i += 1
            if i >= len(text) or text[i] not in "\"'`":
                raise NotationError("expected a quoted label value")
            value, i = _unquote(text, i)
            pairs.append((name, value))
    elif not m:
        raise NotationError(f"invalid series descriptor: {text!r}")
    return Labels.from_pairs(pairs), text[i:]


# -- values ----------------------------------------------------------------------------


@dataclass(slots=True)
class SeriesValues:
    """Expanded values: ``None`` for ``_``; ``histograms`` lists the positions
    that held native histograms (their value is None here)."""

    values: list[float | None]
    histograms: list[int]


def _tokens(text: str) -> list[str]:
    """Whitespace-separated tokens, keeping ``{{ ... }}`` (with spaces) whole."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace():
            if text.startswith("{{", j):
                end = text.find("}}", j)
                if end < 0:
                    raise NotationError("unterminated histogram")
                j = end + 2
            else:
                j += 1
        out.append(text[i:j])
        i = j
    return out


@dataclass(slots=True)
class ValueColumns:
    """Expanded values as columns: ``present`` is False for ``_`` and for
    native-histogram positions (listed in ``histograms``)."""

    values: npt.NDArray[np.float64]
    present: npt.NDArray[np.bool_]
    histograms: list[int]


def parse_value_columns(text: str) -> ValueColumns:
    """The value notation as numpy columns: a long ``a+bxN`` run costs one
    cumulative sum, not N Python floats (promtool tests span days of samples)."""
    chunks: list[npt.NDArray[np.float64]] = []
    masks: list[npt.NDArray[np.bool_]] = []
    hist: list[int] = []
    size = 0

    def put(values: npt.NDArray[np.float64], present: bool) -> None:
        nonlocal size
        chunks.append(values)
        masks.append(np.full(values.size, present))
        size += values.size

    for tok in _tokens(text):
        if tok.startswith("{{"):
            m = re.search(r"}}x(\d+)$", tok)
            count = int(m.group(1)) + 1 if m else 1
            hist.extend(range(size, size + count))
            put(np.zeros(count), False)
        elif tok == "_" or tok.startswith("_x"):
            put(np.zeros(1 if tok == "_" else int(tok[2:])), False)
        elif tok == "stale":
            put(np.array([STALE_NAN]), True)
        elif m := _EXPAND.match(tok):
            step = parse_number(m.group(3)) if m.group(3) else 0.0
            seq = np.full(int(m.group(4)) + 1, -step if m.group(2) == "-" else step)
            seq[0] = parse_number(m.group(1))
            # cumsum adds left to right: repeated addition, like upstream's k += offset
            put(np.cumsum(seq), True)
        else:
            try:
                value = parse_number(tok)
            except NotationError:
                value = parse_duration_ms(tok) / 1000.0
            put(np.array([value]), True)
    if not chunks:
        return ValueColumns(np.zeros(0), np.zeros(0, dtype=bool), [])
    return ValueColumns(np.concatenate(chunks), np.concatenate(masks), hist)


def parse_values(text: str) -> SeriesValues:
    cols = parse_value_columns(text)
    values: list[float | None] = [
        v if p else None for v, p in zip(cols.values.tolist(), cols.present.tolist(), strict=True)
    ]
    return SeriesValues(values, cols.histograms)
