"""Print an AST back as PromQL text, in Prometheus's canonical form.

``to_string(parse(q))`` is what Prometheus's ``expr.String()`` gives
(``sum by (job) (rate(x[5m]))``, ``a - on (b) group_left () c``,
``x @ 10.000``), and ``parse(to_string(e)) == e`` for every tree the parser
can produce. Parentheses come only from ``ParenExpr`` nodes: the printer adds
none, as upstream.
"""

from __future__ import annotations

import math

from lab.model.durations import format_model_duration_ms
from lab.model.gofloat import format_f, format_g
from lab.model.gostr import go_quote
from lab.model.labels import is_legacy_label_name, is_legacy_metric_name
from lab.model.matcher import Matcher, MatchType
from lab.server.promql.parser.ast import (
    AggregateExpr,
    AtKind,
    AtModifier,
    BinaryExpr,
    Call,
    Cardinality,
    Expr,
    MatrixSelector,
    NumberLiteral,
    ParenExpr,
    StringLiteral,
    SubqueryExpr,
    UnaryExpr,
    VectorMatching,
    VectorSelector,
)

METRIC_NAME = "__name__"


def to_string(expr: Expr) -> str:
    """The PromQL text of ``expr``."""
    out: list[str] = []
    _write(expr, out)
    return "".join(out)


def _write(e: Expr, out: list[str]) -> None:
    if isinstance(e, NumberLiteral):
        out.append(_number(e))
    elif isinstance(e, StringLiteral):
        out.append(go_quote(e.value))
    elif isinstance(e, VectorSelector):
        out.append(_vector(e))
    elif isinstance(e, MatrixSelector):
        _matrix(e, out)
    elif isinstance(e, SubqueryExpr):
        _write(e.expr, out)
        out.append("[")
        out.append(_range(e.range))
        out.append(":")
        if e.step is not None:
            out.append(_range(e.step))
        out.append("]")
        out.append(_at(e.at))
        out.append(_offset(e.offset))
    elif isinstance(e, Call):
        out.append(e.func)
        out.append("(")
        for i, arg in enumerate(e.args):
            if i:
                out.append(", ")
            _write(arg, out)
        out.append(")")
    elif isinstance(e, AggregateExpr):
        _aggregate(e, out)
    elif isinstance(e, BinaryExpr):
        _write(e.lhs, out)
        out.append(f" {e.op}")
        if e.return_bool:
            out.append(" bool")
        out.append(_matching(e.matching))
        out.append(_fill(e.fill_left, e.fill_right))
        out.append(" ")
        _write(e.rhs, out)
    elif isinstance(e, UnaryExpr):
        out.append(e.op)
        _write(e.expr, out)
    elif isinstance(e, ParenExpr):
        out.append("(")
        _write(e.expr, out)
        out.append(")")
    else:
        raise TypeError(f"cannot print {type(e).__name__}")


# -- numbers and durations ----------------------------------------------------------


def _duration_ms(value: float) -> int | None:
    """Whole milliseconds equal to ``value`` seconds, if exactly representable."""
    if math.isnan(value) or math.isinf(value):
        return None
    ms = round(value * 1000)
    return ms if ms / 1000.0 == value else None


def _number(e: NumberLiteral) -> str:
    if e.duration:
        ms = _duration_ms(e.value)
        if ms is not None:
            return format_model_duration_ms(ms)
    return format_f(e.value)


def _range(e: Expr) -> str:
    """A range, step or offset: a plain literal prints as a duration, as upstream."""
    if isinstance(e, NumberLiteral):
        ms = _duration_ms(e.value)
        if ms is not None:
            return format_model_duration_ms(ms)
    return to_string(e)


def _offset(e: Expr | None) -> str:
    return "" if e is None else " offset " + _range(e)


def _at(at: AtModifier | None) -> str:
    if at is None:
        return ""
    if at.kind is AtKind.START:
        return " @ start()"
    if at.kind is AtKind.END:
        return " @ end()"
    return f" @ {at.timestamp:.3f}"


#: Go's ``%v`` for a float64 (``fill (...)`` values); the name is older than lab.model.gofloat.
go_format_float = format_g


# -- selectors ---------------------------------------------------------------------


def _label_name(name: str) -> str:
    return name if is_legacy_label_name(name) else go_quote(name)


def _matcher(m: Matcher) -> str:
    return f"{_label_name(m.name)}{m.type.value}{go_quote(m.value)}"


def _selector_core(e: VectorSelector) -> str:
    name = e.name if e.name is not None and is_legacy_metric_name(e.name) else ""
    shown = []
    for m in e.matchers:
        # The name written before the braces is not repeated inside them.
        if name and m.name == METRIC_NAME and m.type is MatchType.EQUAL and m.value == name:
            continue
        shown.append(_matcher(m))
    if not shown:
        return name if name else "{}"
    return name + "{" + ",".join(sorted(shown)) + "}"


def _extended(e: VectorSelector) -> str:
    if e.anchored:
        return " anchored"
    if e.smoothed:
        return " smoothed"
    return ""


def _vector(e: VectorSelector) -> str:
    return _selector_core(e) + _at(e.at) + _extended(e) + _offset(e.offset)


def _matrix(e: MatrixSelector, out: list[str]) -> None:
    vs = e.vector
    out.append(_selector_core(vs))
    out.append("[" + _range(e.range) + "]")
    out.append(_extended(vs))
    out.append(_at(vs.at))
    out.append(_offset(vs.offset))


# -- operators -------------------------------------------------------------------------


def _labels(names: tuple[str, ...]) -> str:
    return ", ".join(_label_name(n) for n in names)


def _aggregate(e: AggregateExpr, out: list[str]) -> None:
    out.append(e.op)
    if e.without:
        out.append(f" without ({_labels(e.grouping)}) ")
    elif e.grouping:
        out.append(f" by ({_labels(e.grouping)}) ")
    out.append("(")
    if e.param is not None:
        _write(e.param, out)
        out.append(", ")
    _write(e.expr, out)
    out.append(")")


def _matching(m: VectorMatching | None) -> str:
    if m is None:
        return ""
    grouped = m.card in (Cardinality.MANY_TO_ONE, Cardinality.ONE_TO_MANY)
    text = ""
    if m.labels or m.on or grouped:
        text = f" {'on' if m.on else 'ignoring'} ({_labels(m.labels)})"
    if grouped:
        side = "left" if m.card is Cardinality.MANY_TO_ONE else "right"
        text += f" group_{side} ({_labels(m.include)})"
    return text


def _fill(left: float | None, right: float | None) -> str:
    if left is None and right is None:
        return ""
    if left is not None and right is not None and (left == right or _both_nan(left, right)):
        return f" fill ({format_g(left)})"
    text = ""
    if left is not None:
        text += f" fill_left ({format_g(left)})"
    if right is not None:
        text += f" fill_right ({format_g(right)})"
    return text


def _both_nan(a: float, b: float) -> bool:
    return math.isnan(a) and math.isnan(b)
