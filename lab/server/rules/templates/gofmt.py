"""Go's fmt for the values templates handle: ``Sprint`` (``%v``) and ``Sprintf``.

Go values are modelled as: ``str`` (string), ``int`` (int), ``float``
(float64), ``bool``, ``None`` (nil), ``dict`` (map, printed with sorted keys),
``list`` (slice) and objects with a ``go_string()`` method (structs).
"""

from __future__ import annotations

import math
import re
from typing import Any

from lab.model.gofloat import format_g
from lab.model.gostr import go_quote


def go_type(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]string"
    if isinstance(v, list):
        return "[]interface {}"
    if v is None:
        return "<nil>"
    return str(getattr(v, "go_type", type(v).__name__))


def sprint_value(v: Any) -> str:
    """``fmt.Sprint(v)`` for one operand."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_g(v)
    if isinstance(v, (int, str)):
        return str(v)
    if v is None:
        return "<nil>"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{sprint_value(k)}:{sprint_value(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(sprint_value(x) for x in v) + "]"
    go_string = getattr(v, "go_string", None)
    if callable(go_string):
        return str(go_string())
    return str(v)


def sprint(*args: Any) -> str:
    """``fmt.Sprint``: spaces between operands when neither is a string."""
    out: list[str] = []
    for i, a in enumerate(args):
        if i > 0 and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(sprint_value(a))
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d*|\*))?([a-zA-Z%])")


def _bad(verb: str, v: Any) -> str:
    return f"%!{verb}({go_type(v)}={sprint_value(v)})"


def _pad(s: str, flags: str, width: int | None, numeric: bool = False) -> str:
    if width is None or len(s) >= width:
        return s
    if "-" in flags:
        return s.ljust(width)
    if "0" in flags and numeric:
        sign = s[0] if s[:1] in "+-" else ""
        return sign + s[len(sign) :].rjust(width - len(sign), "0")
    return s.rjust(width)


def _fmt_float(verb: str, v: float, flags: str, prec: int | None) -> str:
    if math.isnan(v) or math.isinf(v):
        s = "NaN" if math.isnan(v) else ("+Inf" if v > 0 else "-Inf")
        return s
    sign = "+" if "+" in flags and v >= 0 else (" " if " " in flags and v >= 0 else "")
    if (verb in "gG" and prec is None) or verb == "v":
        s = format_g(v)
        return sign + (s.upper() if verb == "G" else s)
    p = 6 if prec is None else prec
    py = {"f": "f", "F": "f", "e": "e", "E": "E", "g": "g", "G": "G"}[verb]
    return sign + format(v, f".{p}{py}")


def sprintf(fmt: str, args: list[Any]) -> str:
    out: list[str] = []
    ai = 0
    pos = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width_s, prec_s, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        width = int(width_s) if width_s and width_s != "*" else None
        prec = (
            int(prec_s)
            if prec_s not in (None, "*") and prec_s != ""
            else (0 if prec_s == "" else None)
        )
        if ai >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        v = args[ai]
        ai += 1
        out.append(_one(verb, v, flags, width, prec))
    out.append(fmt[pos:])
    if ai < len(args):
        extra = ", ".join(f"{go_type(a)}={sprint_value(a)}" for a in args[ai:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _one(verb: str, v: Any, flags: str, width: int | None, prec: int | None) -> str:
    numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
    if verb == "v":
        s = _fmt_float("v", v, flags, prec) if isinstance(v, float) else sprint_value(v)
        return _pad(s, flags, width, numeric)
    if verb in "sq":
        if isinstance(v, str) or (verb == "s" and not numeric and not isinstance(v, bool)):
            s = sprint_value(v)
            if prec is not None:
                s = s[:prec]
            return _pad(go_quote(s) if verb == "q" else s, flags, width)
        if verb == "q" and isinstance(v, int) and not isinstance(v, bool):
            return _pad("'" + chr(v) + "'", flags, width)
        return _bad(verb, v)
    if verb == "t":
        return _pad(sprint_value(v), flags, width) if isinstance(v, bool) else _bad(verb, v)
    if verb in "dboxXc":
        if isinstance(v, int) and not isinstance(v, bool):
            if verb == "c":
                return chr(v)
            base = {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X"}[verb]
            sign = "+" if "+" in flags and v >= 0 else ""
            return _pad(sign + format(v, base), flags, width, True)
        if verb in "xX" and isinstance(v, str):
            s = v.encode().hex()
            return _pad(s.upper() if verb == "X" else s, flags, width)
        if verb in "xX" and isinstance(v, float):
            return _pad(float.hex(v), flags, width)
        return _bad(verb, v)
    if verb in "feEgGF":
        if isinstance(v, float):
            return _pad(_fmt_float(verb, v, flags, prec), flags, width, True)
        return _bad(verb, v)
    return f"%!{verb}({go_type(v)}={sprint_value(v)})"
