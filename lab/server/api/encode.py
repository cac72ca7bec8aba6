"""JSON encoding of API responses, byte-compatible with Prometheus.

Prometheus writes sample values as strings in Go's ``strconv.FormatFloat(v,
'f', -1, 64)`` form (``"1"``, ``"0.1"``, ``"123456789012345680"``) except below
1e-6 and from 1e21 on, where it uses ``'e'`` (``"1e-07"``, ``"1e+21"``), and
``"+Inf"``, ``"-Inf"``, ``"NaN"``; timestamps as Unix seconds with the
millisecond fraction written as three digits (``1700000060.500``); strings with
Go's HTML-safe escaping (``<`` is ``\\u003c``).

Speed: a range query's matrix can hold millions of points, so values are
formatted a whole row at a time with orjson (shortest round-trip digits, in
C), and only the rare values whose notation differs from Go's (non-finite,
very small or very large) go through Python one by one. Step timestamps are
formatted once per query and shared by every series.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import orjson

from lab.model.gofloat import format_json
from lab.model.labels import Labels

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
BOOL = npt.NDArray[np.bool_]

_GO_EXPONENT = re.compile(r"e([+-])0(\d)$")
_NEEDS_ESCAPE = re.compile('[\\x00-\\x1f"\\\\<>&\u2028\u2029\x7f]')
_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
    "\b": "\\u0008",
    "\f": "\\u000c",
}


def json_string(s: str) -> str:
    """A JSON string literal as Go's encoding/json writes it."""
    if not _NEEDS_ESCAPE.search(s):
        return '"' + s + '"'
    out = json.dumps(s, ensure_ascii=False)
    for raw, esc in _GO_ESCAPES.items():
        if raw in s:
            out = out.replace(raw if raw not in "\b\f" else json.dumps(raw)[1:-1], esc)
    return out


def labels_json(labels: Labels) -> str:
    """``{"__name__":"up","job":"x"}``: keys sorted, as Prometheus's Labels marshal."""
    return "{" + ",".join(json_string(n) + ":" + json_string(v) for n, v in labels) + "}"


def format_value(v: float) -> str:
    """One sample value as Prometheus writes it (without the quotes)."""
    return format_json(v)


def format_timestamp(ms: int) -> str:
    """Milliseconds as Prometheus's seconds: ``1700000060``, ``1700000060.500``."""
    sign = ""
    if ms < 0:
        sign, ms = "-", -ms
    seconds, frac = divmod(ms, 1000)
    return f"{sign}{seconds}.{frac:03d}" if frac else f"{sign}{seconds}"


def format_timestamps(times: I64) -> list[str]:
    return [format_timestamp(t) for t in times.tolist()]


def format_values(values: F64) -> list[str]:
    """Every value of a 1-d array, formatted as ``format_value`` would, but with
    integral values still ending in ``.0``: callers quote them and strip ``.0"``
    from the joined text in one pass (see ``quoted_values``)."""
    if values.size == 0:
        return []
    row = np.ascontiguousarray(values, dtype=np.float64)
    parts = orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].decode().split(",")
    a = np.abs(row)
    # orjson and Go agree on the digits everywhere; they differ in notation for
    # non-finite values (orjson writes null) and at the exponent thresholds.
    with np.errstate(invalid="ignore"):
        odd = ~np.isfinite(row) | (a >= 1e15) | ((a < 1e-4) & (a != 0))
    if odd.any():
        for i in np.flatnonzero(odd).tolist():
            parts[i] = format_value(float(row[i]))
    return parts


def strip_integral(text: str) -> str:
    """``"5.0"`` -> ``"5"`` inside text made of quoted ``format_values`` output."""
    return text.replace('.0"', '"')


def point_pairs(ts_text: Sequence[str], values: F64) -> str:
    """``[t,"v"],[t,"v"]`` for aligned timestamps (already formatted) and values."""
    if not ts_text:
        return ""
    prefixes = [f'[{t},"' for t in ts_text]
    return strip_integral('"],'.join(map(operator.add, prefixes, format_values(values))) + '"]')


class MatrixWriter:
    """Writes range-query series that share one step grid.

    ``prefixes[j]`` is ``[<time of step j>,"``, formatted once per query.
    """

    def __init__(self, times: I64) -> None:
        self._prefixes = np.array([f'[{t},"' for t in format_timestamps(times)], dtype=object)
        self._all = self._prefixes.tolist()

    def series(self, labels: Labels, values: F64, present: BOOL) -> str:
        if present.all():
            prefixes, vals = self._all, values
        else:
            prefixes, vals = self._prefixes[present].tolist(), values[present]
        body = '"],'.join(map(operator.add, prefixes, format_values(vals)))
        return (
            '{"metric":' + labels_json(labels) + ',"values":[' + strip_integral(body + '"]') + "]}"
        )


def sample_json(labels: Labels, t_text: str, v_text: str) -> str:
    return '{"metric":' + labels_json(labels) + ',"value":[' + t_text + ',"' + v_text + '"]}'


def vector_json(labels: Sequence[Labels], t_ms: Sequence[int], values: F64) -> str:
    texts = [strip_integral(v + '"')[:-1] for v in format_values(values)]
    return (
        "["
        + ",".join(
            sample_json(lab, format_timestamp(t), v)
            for lab, t, v in zip(labels, t_ms, texts, strict=True)
        )
        + "]"
    )


def scalar_json(t_ms: int, value: float) -> str:
    return "[" + format_timestamp(t_ms) + ',"' + format_value(value) + '"]'


def string_json(t_ms: int, value: str) -> str:
    return "[" + format_timestamp(t_ms) + "," + json_string(value) + "]"


def envelope(data_json: str, warnings: Sequence[str] = (), infos: Sequence[str] = ()) -> bytes:
    """``{"status":"success","data":...}`` plus warnings/infos when there are any."""
    out = ['{"status":"success","data":', data_json]
    if warnings:
        out.append(',"warnings":[' + ",".join(json_string(w) for w in warnings) + "]")
    if infos:
        out.append(',"infos":[' + ",".join(json_string(i) for i in infos) + "]")
    out.append("}")
    return "".join(out).encode()


def error_body(error_type: str, message: str) -> bytes:
    return (
        '{"status":"error","errorType":'
        + json_string(error_type)
        + ',"error":'
        + json_string(message)
        + "}"
    ).encode()


def to_json(obj: object) -> str:
    """Plain JSON for metadata responses (no sample values inside), Go-escaped."""
    if isinstance(obj, str):
        return json_string(obj)
    if isinstance(obj, bool) or obj is None:
        return json.dumps(obj)
    if isinstance(obj, float) and math.isfinite(obj):
        # Go's encoding/json: shortest digits, no ".0" (an interval of 60 s
        # is 60), and the 'e' form's exponent without a leading zero (1e-7)
        return _GO_EXPONENT.sub(r"e\1\2", format_value(obj))
    if isinstance(obj, int | float):
        return json.dumps(obj)
    if isinstance(obj, dict):
        return "{" + ",".join(json_string(str(k)) + ":" + to_json(v) for k, v in obj.items()) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ",".join(to_json(v) for v in obj) + "]"
    raise TypeError(f"cannot encode {type(obj).__name__}")
