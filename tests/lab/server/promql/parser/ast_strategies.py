"""Hypothesis strategies for ASTs the parser can produce.

"Producible" matters because the printer adds no parentheses: a child that
binds looser than its parent is wrapped in a ParenExpr here, a unary minus is
never put on a number literal (the parser folds it), matchers come in the
printer's sorted order, and every tree is well-typed (``parse`` type-checks).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from lab.model.matcher import Matcher, MatchType
from lab.server.promql.parser.ast import (
    BINARY_PRECEDENCE,
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
    ValueType,
    VectorMatching,
    VectorSelector,
)
from lab.server.promql.parser.printer import _matcher

RESERVED = {"bool", "on", "ignoring", "group_left", "group_right", "atan2", "inf", "nan"}
UNARY_PRECEDENCE = 5  # unary +/- binds like * and /, below ^

_metric_names = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,8}", fullmatch=True).filter(
    lambda s: s.lower() not in RESERVED
)
_legacy_labels = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: s != "__name__"
)
_any_labels = st.one_of(_legacy_labels, st.text(min_size=1, max_size=6)).filter(
    lambda s: s != "__name__"
)
_texts = st.text(max_size=8)
_regexes = st.sampled_from(["a.*", ".+", "foo|bar", "[0-9]+", "(?i)x", ""])


def _prec(e: Expr) -> float:
    if isinstance(e, BinaryExpr):
        return BINARY_PRECEDENCE[e.op]
    if isinstance(e, UnaryExpr) or _signed_literal(e):
        return UNARY_PRECEDENCE
    return 100  # postfix and primary expressions


def _signed_literal(e: Expr) -> bool:
    """A literal printed with a leading sign ("-1", "+Inf") parses as unary."""
    return isinstance(e, NumberLiteral) and (math.copysign(1.0, e.value) < 0 or e.value == math.inf)


def _paren(e: Expr) -> Expr:
    return ParenExpr(e)


def _operands(op: str, lhs: Expr, rhs: Expr) -> tuple[Expr, Expr]:
    """Parenthesise the operands of ``lhs op rhs`` where precedence needs it."""
    p = BINARY_PRECEDENCE[op]
    if op == "^":
        if _prec(lhs) <= 6:
            lhs = _paren(lhs)
        if not (_prec(rhs) >= 6 or isinstance(rhs, UnaryExpr) or _signed_literal(rhs)):
            rhs = _paren(rhs)
        return lhs, rhs
    if _prec(lhs) < p:
        lhs = _paren(lhs)
    if not (_prec(rhs) > p or isinstance(rhs, UnaryExpr) or _signed_literal(rhs)):
        rhs = _paren(rhs)
    return lhs, rhs


def _unary_operand(e: Expr) -> Expr:
    if isinstance(e, NumberLiteral):
        return _paren(e)
    if isinstance(e, BinaryExpr) and e.op != "^":
        return _paren(e)
    return e


# -- durations -------------------------------------------------------------------------

_duration_literals = st.builds(
    lambda ms, dur: NumberLiteral(ms / 1000.0, duration=dur),
    st.integers(1, 10**10),
    st.booleans(),
)


@st.composite
def duration_exprs(draw: st.DrawFn, depth: int = 2) -> Expr:
    if depth <= 0:
        return draw(
            st.one_of(_duration_literals, st.sampled_from([Call("step", ()), Call("range", ())]))
        )
    kind = draw(st.sampled_from(["lit", "call", "minmax", "paren", "neg", "bin"]))
    if kind == "lit":
        return draw(_duration_literals)
    if kind == "call":
        return Call(draw(st.sampled_from(["step", "range"])), ())
    if kind == "minmax":
        a, b = draw(duration_exprs(depth - 1)), draw(duration_exprs(depth - 1))
        return Call(draw(st.sampled_from(["min_of", "max_of"])), (a, b))
    if kind == "paren":
        return ParenExpr(draw(duration_exprs(depth - 1)))
    if kind == "neg":
        inner = draw(duration_exprs(depth - 1))
        if isinstance(inner, NumberLiteral):
            return NumberLiteral(-inner.value, duration=inner.duration)
        return UnaryExpr("-", _unary_operand(inner))
    op = draw(st.sampled_from(["+", "-", "*", "/", "%", "^"]))
    lhs, rhs = _operands(op, draw(duration_exprs(depth - 1)), draw(duration_exprs(depth - 1)))
    return BinaryExpr(op, lhs, rhs)


@st.composite
def offsets(draw: st.DrawFn, greedy: bool = False) -> Expr | None:
    """An offset. ``greedy`` allows "(...)" forms, which would swallow a
    following "+ 1" (``x offset (1m) + 1`` is ``x offset ((1m) + 1)``), so they
    may only end an argument list."""
    kinds = ["none", "lit", "neg", "call", "negcall"] + (["paren", "chain"] if greedy else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind in ("lit", "neg"):
        lit = draw(_duration_literals)
        return lit if kind == "lit" else NumberLiteral(-lit.value, duration=lit.duration)
    call = draw(st.sampled_from([Call("step", ()), Call("range", ())]))
    if kind == "call":
        return call
    if kind == "negcall":
        return UnaryExpr("-", call)
    paren = ParenExpr(draw(duration_exprs(1)))
    if kind == "paren":
        return paren
    op = draw(st.sampled_from(["+", "-", "*", "/", "%", "^"]))
    _, rhs = _operands(op, paren, draw(duration_exprs(1)))
    return BinaryExpr(op, paren, rhs)


#: ranges and steps: a literal one must be positive
_ranges = st.one_of(_duration_literals, duration_exprs(1)).filter(
    lambda e: not (isinstance(e, NumberLiteral) and e.value <= 0)
)

_ats = st.one_of(
    st.none(),
    st.builds(lambda ms: AtModifier(AtKind.TIME, ms / 1000.0), st.integers(-(10**12), 10**12)),
    st.sampled_from([AtModifier(AtKind.START), AtModifier(AtKind.END)]),
)


# -- selectors -------------------------------------------------------------------------


@st.composite
def matchers(draw: st.DrawFn) -> Matcher:
    mtype = draw(st.sampled_from(list(MatchType)))
    name = draw(_any_labels)
    if mtype in (MatchType.REGEX, MatchType.NOT_REGEX):
        return Matcher(mtype, name, draw(_regexes))
    return Matcher(mtype, name, draw(_texts))


@st.composite
def vector_selectors(draw: st.DrawFn, modifiers: bool = True) -> VectorSelector:
    name = draw(st.one_of(st.none(), _metric_names))
    ms = draw(st.lists(matchers(), max_size=3))
    if name is None:
        # At least one matcher that does not match the empty string.
        ms.append(
            Matcher(MatchType.EQUAL, draw(_any_labels), draw(st.text(min_size=1, max_size=5)))
        )
    ms.sort(key=_matcher)
    matcher_tuple = tuple(ms)
    if name is not None:
        matcher_tuple += (Matcher(MatchType.EQUAL, "__name__", name),)
    extended = draw(st.sampled_from(["", "anchored", "smoothed"])) if modifiers else ""
    return VectorSelector(
        name,
        matcher_tuple,
        offset=draw(offsets()) if modifiers else None,
        at=draw(_ats) if modifiers else None,
        anchored=extended == "anchored",
        smoothed=extended == "smoothed",
    )


@st.composite
def matrix_selectors(draw: st.DrawFn) -> MatrixSelector:
    vs = draw(vector_selectors(modifiers=False))
    extended = draw(st.sampled_from(["", "anchored", "smoothed"]))
    vs = VectorSelector(
        vs.name,
        vs.matchers,
        offset=draw(offsets(greedy=True)),
        at=draw(_ats),
        anchored=extended == "anchored",
        smoothed=extended == "smoothed",
    )
    return MatrixSelector(vs, draw(_ranges))


# -- expressions by type ---------------------------------------------------------------


def _postfix_operand(e: Expr) -> Expr:
    """What may stand before ``[range:step]``: a primary expression."""
    if isinstance(e, BinaryExpr | UnaryExpr) or _signed_literal(e):
        return ParenExpr(e)
    return e


@st.composite
def scalars(draw: st.DrawFn, depth: int) -> Expr:
    options = ["lit", "time"]
    if depth > 0:
        options += ["arith", "cmp", "paren", "neg", "scalar_fn"]
    kind = draw(st.sampled_from(options))
    if kind == "lit":
        value = draw(st.floats(allow_nan=False, allow_infinity=True, width=64))
        return NumberLiteral(value)
    if kind == "time":
        return Call(draw(st.sampled_from(["time", "pi"])), ())
    if kind == "paren":
        return ParenExpr(draw(scalars(depth - 1)))
    if kind == "neg":
        return UnaryExpr("-", _unary_operand(draw(scalars(depth - 1))))
    if kind == "scalar_fn":
        return Call("scalar", (draw(vectors(depth - 1)),))
    if kind == "arith":
        op = draw(st.sampled_from(["+", "-", "*", "/", "%", "^", "atan2"]))
        lhs, rhs = _operands(op, draw(scalars(depth - 1)), draw(scalars(depth - 1)))
        return BinaryExpr(op, lhs, rhs)
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    lhs, rhs = _operands(op, draw(scalars(depth - 1)), draw(scalars(depth - 1)))
    return BinaryExpr(op, lhs, rhs, return_bool=True)


@st.composite
def _matching(draw: st.DrawFn, op: str) -> tuple[VectorMatching, float | None, float | None]:
    labels = tuple(draw(st.lists(_any_labels, max_size=2)))
    on = draw(st.booleans())
    if op in ("and", "or", "unless"):
        return VectorMatching(Cardinality.MANY_TO_MANY, on, labels), None, None
    card = draw(
        st.sampled_from([Cardinality.ONE_TO_ONE, Cardinality.MANY_TO_ONE, Cardinality.ONE_TO_MANY])
    )
    include: tuple[str, ...] = ()
    if card is not Cardinality.ONE_TO_ONE:
        include = tuple(
            x for x in draw(st.lists(_any_labels, max_size=2)) if not on or x not in labels
        )
    fill = st.one_of(st.none(), st.floats(allow_nan=False, width=64))
    return VectorMatching(card, on, labels, include), draw(fill), draw(fill)


@st.composite
def vectors(draw: st.DrawFn, depth: int) -> Expr:
    options = ["selector"]
    if depth > 0:
        options += ["fn", "range_fn", "agg", "param_agg", "binop", "scalar_binop", "paren", "neg"]
    kind = draw(st.sampled_from(options))
    if kind == "selector":
        return draw(vector_selectors())
    if kind == "paren":
        return ParenExpr(draw(vectors(depth - 1)))
    if kind == "neg":
        return UnaryExpr(
            draw(st.sampled_from(["-", "+"])), _unary_operand(draw(vectors(depth - 1)))
        )
    if kind == "fn":
        fn = draw(st.sampled_from(["abs", "ceil", "sort", "timestamp"]))
        return Call(fn, (draw(vectors(depth - 1)),))
    if kind == "range_fn":
        fn = draw(st.sampled_from(["rate", "increase", "max_over_time", "changes"]))
        return Call(fn, (draw(matrices(depth - 1)),))
    if kind in ("agg", "param_agg"):
        grouping = tuple(draw(st.lists(_any_labels, max_size=2)))
        without = draw(st.booleans())
        inner = draw(vectors(depth - 1))
        param: Expr | None = None
        if kind == "agg":
            op = draw(st.sampled_from(["sum", "avg", "count", "min", "max", "group", "stddev"]))
        else:
            op = draw(st.sampled_from(["topk", "bottomk", "quantile", "count_values", "limitk"]))
            param = (
                StringLiteral(draw(_texts)) if op == "count_values" else draw(scalars(depth - 1))
            )
        return AggregateExpr(op, inner, param, grouping if (grouping or without) else (), without)
    if kind == "scalar_binop":
        op = draw(st.sampled_from(["+", "*", "^", ">", "/"]))
        vec, sc = draw(vectors(depth - 1)), draw(scalars(depth - 1))
        lhs, rhs = (vec, sc) if draw(st.booleans()) else (sc, vec)
        lhs, rhs = _operands(op, lhs, rhs)
        return BinaryExpr(op, lhs, rhs, return_bool=op == ">" and draw(st.booleans()))
    op = draw(
        st.sampled_from(["+", "-", "*", "/", "%", "^", "atan2", "==", "<", "and", "or", "unless"])
    )
    matching, fill_left, fill_right = draw(_matching(op))
    lhs, rhs = _operands(op, draw(vectors(depth - 1)), draw(vectors(depth - 1)))
    return BinaryExpr(
        op,
        lhs,
        rhs,
        return_bool=op in ("==", "<") and draw(st.booleans()),
        matching=matching,
        fill_left=fill_left,
        fill_right=fill_right,
    )


@st.composite
def matrices(draw: st.DrawFn, depth: int) -> Expr:
    if depth <= 0 or draw(st.booleans()):
        return draw(matrix_selectors())
    inner = _postfix_operand(draw(vectors(depth - 1)))
    rng = draw(_ranges)
    step = draw(st.one_of(st.none(), _ranges))
    return SubqueryExpr(inner, rng, step, offset=draw(offsets(greedy=True)), at=draw(_ats))


def exprs(depth: int = 3) -> st.SearchStrategy[Any]:
    """Any well-typed expression the parser can produce."""
    return st.one_of(
        vectors(depth),
        scalars(depth),
        matrices(depth),
        st.builds(StringLiteral, _texts),
    )


__all__ = ["ValueType", "duration_exprs", "exprs", "matrices", "scalars", "vectors"]
