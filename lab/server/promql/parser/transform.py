"""Build the AST while lark parses (the transformer is embedded in the LALR parser).

Each callback gets the children of one grammar rule: tokens (with
``start_pos``/``end_pos``) and already-built nodes. Problems Prometheus reports
while parsing (unknown function, offset on a non-selector, bad duration ...)
raise :class:`ParseProblem` at once; the first one wins, as upstream's first
error is the one it prints. Type checks run later, on the whole tree
(``checks.py``), because upstream only type-checks a syntactically valid query.

The transformer holds no state, so one cached parser serves every thread.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, cast

from lark import Token, Transformer

from lab.model.errors import RegexError
from lab.model.gostr import go_quote
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
    PositionRange,
    StringLiteral,
    SubqueryExpr,
    UnaryExpr,
    ValueType,
    VectorMatching,
    VectorSelector,
)
from lab.server.promql.parser.functions import FUNCTIONS
from lab.server.promql.parser.literals import (
    LiteralError,
    is_valid_utf8,
    parse_duration_ms,
    parse_number,
    unquote,
)

METRIC_NAME = "__name__"
PARAM_AGGREGATIONS = frozenset(
    {"topk", "bottomk", "count_values", "quantile", "limitk", "limit_ratio"}
)
SET_OPERATORS = frozenset({"and", "or", "unless"})
#: upstream stores durations as int64 nanoseconds
_MAX_DURATION_SECONDS = (1 << 63) / 1e9


class ParseProblem(Exception):
    """A positioned parse error, turned into ``ParseError`` by ``parse()``."""

    def __init__(self, start: int, end: int, message: str) -> None:
        super().__init__(message)
        self.start = start
        self.end = end
        self.message = message


def _fail(start: int, end: int, message: str) -> ParseProblem:
    return ParseProblem(start, end, message)


def _tok_fail(tok: Token, message: str) -> ParseProblem:
    return ParseProblem(_start(tok), _end(tok), message)


def _start(t: Token) -> int:
    return int(t.start_pos or 0)


def _end(t: Token) -> int:
    return int(t.end_pos or 0)


def _pr(start: int, end: int) -> PositionRange:
    return PositionRange(start, end)


@dataclass(frozen=True, slots=True)
class _BinMod:
    """What was written between a binary operator and its right operand."""

    return_bool: bool = False
    on: bool = False
    explicit: bool = False
    labels: tuple[str, ...] = ()
    card: Cardinality = Cardinality.ONE_TO_ONE
    include: tuple[str, ...] = ()
    fill_left: float | None = None
    fill_right: float | None = None


@dataclass(frozen=True, slots=True)
class _Labels:
    labels: tuple[str, ...]
    end: int


@dataclass(frozen=True, slots=True)
class _Body:
    args: tuple[Expr, ...]
    end: int


@dataclass(frozen=True, slots=True)
class _Grouping:
    without: bool
    labels: tuple[str, ...]
    end: int


@dataclass(frozen=True, slots=True)
class _At:
    at: AtModifier
    value: float  # for the bounds check, before rounding to milliseconds
    end: int


@dataclass(frozen=True, slots=True)
class _Matchers:
    matchers: tuple[Matcher, ...]
    start: int
    end: int


def _number(tok: Token) -> NumberLiteral:
    pos = _pr(_start(tok), _end(tok))
    try:
        if tok.type == "DURATION":
            return NumberLiteral(parse_duration_ms(str(tok)) / 1000.0, duration=True, pos=pos)
        return NumberLiteral(parse_number(str(tok)), pos=pos)
    except LiteralError as exc:
        raise _tok_fail(tok, str(exc)) from None


def _string(tok: Token) -> str:
    try:
        return unquote(str(tok))
    except LiteralError as exc:
        raise _tok_fail(tok, str(exc)) from None


def _signed(sign: Token | None, lit: NumberLiteral) -> NumberLiteral:
    """Fold a unary sign into a number literal, as upstream does."""
    if sign is None:
        return lit
    value = -lit.value if sign == "-" else lit.value
    return NumberLiteral(value, duration=lit.duration, pos=_pr(_start(sign), lit.pos.end))


def _check_duration_literal(e: Expr) -> None:
    if isinstance(e, NumberLiteral) and abs(e.value) > _MAX_DURATION_SECONDS:
        raise _fail(e.pos.start, e.pos.end, "duration out of range")


def _check_positive(e: Expr) -> None:
    _check_duration_literal(e)
    if isinstance(e, NumberLiteral) and e.value <= 0:
        raise _fail(e.pos.start, e.pos.end, "duration must be greater than 0")


def _op(tok: Token) -> str:
    return str(tok).lower()


class PromQLTransformer(Transformer[Token, Any]):
    """Rule callbacks named after the grammar's rules and aliases."""

    def start(self, c: list[Any]) -> Expr:
        return cast(Expr, c[0])

    # -- literals -------------------------------------------------------------

    def number(self, c: list[Any]) -> NumberLiteral:
        return _number(c[0])

    def string(self, c: list[Any]) -> StringLiteral:
        tok: Token = c[0]
        return StringLiteral(_string(tok), pos=_pr(_start(tok), _end(tok)))

    def paren(self, c: list[Any]) -> ParenExpr:
        lp, e, rp = c
        return ParenExpr(e, pos=_pr(_start(lp), _end(rp)))

    # -- operators ------------------------------------------------------------

    def unary(self, c: list[Any]) -> Expr:
        op, e = c
        if isinstance(e, NumberLiteral):
            return _signed(op, e)
        return UnaryExpr(str(op), e, pos=_pr(_start(op), e.pos.end))

    def binary(self, c: list[Any]) -> BinaryExpr:
        lhs, op_tok, mod, rhs = c
        op = _op(op_tok)
        mod = mod or _BinMod()
        matching: VectorMatching | None = VectorMatching(
            card=mod.card, on=mod.on, labels=mod.labels, include=mod.include, explicit=mod.explicit
        )
        fill_left, fill_right = mod.fill_left, mod.fill_right
        assert matching is not None
        if op in SET_OPERATORS and matching.card is Cardinality.ONE_TO_ONE:
            matching = dataclasses.replace(matching, card=Cardinality.MANY_TO_MANY)
        # No matching between non-vectors. What was written is kept only when it
        # is an error, so that the type check can report it.
        vectors = lhs.type is ValueType.VECTOR and rhs.type is ValueType.VECTOR
        if not vectors and not mod.labels and fill_left is None and fill_right is None:
            matching = None
        return BinaryExpr(
            op,
            lhs,
            rhs,
            return_bool=mod.return_bool,
            matching=matching,
            fill_left=fill_left,
            fill_right=fill_right,
            pos=_pr(lhs.pos.start, rhs.pos.end),
        )

    def bin_mod(self, c: list[Any]) -> _BinMod:
        bool_tok, matching, fill = c
        mod = _BinMod(return_bool=bool_tok is not None)
        if matching is not None:
            mod = dataclasses.replace(mod, **matching)
        if fill is not None:
            mod = dataclasses.replace(mod, fill_left=fill[0], fill_right=fill[1])
        return mod

    def matching(self, c: list[Any]) -> dict[str, Any]:
        tok, labels, group = c
        out: dict[str, Any] = {"on": _op(tok) == "on", "explicit": True, "labels": labels.labels}
        if group is not None:
            out.update(group)
        return out

    def group(self, c: list[Any]) -> dict[str, Any]:
        tok, labels = c
        card = Cardinality.MANY_TO_ONE if _op(tok) == "group_left" else Cardinality.ONE_TO_MANY
        return {"card": card, "include": labels.labels if labels is not None else ()}

    def fill(self, c: list[Any]) -> tuple[float | None, float | None]:
        kinds = [_op(t) for t in c[0::2] if t is not None]
        values = [v for v in c[1::2] if v is not None]
        left = right = None
        for kind, value in zip(kinds, values, strict=True):
            if kind in ("fill", "fill_left"):
                left = value
            if kind in ("fill", "fill_right"):
                right = value
        return left, right

    def fill_value(self, c: list[Any]) -> float:
        _lp, sign, tok, _rp = c
        return _signed(sign, _number(tok)).value

    # -- selectors and their modifiers ----------------------------------------

    def vector_selector(self, c: list[Any]) -> VectorSelector:
        if len(c) == 1:
            ms: _Matchers = c[0]
            return VectorSelector(None, ms.matchers, pos=_pr(ms.start, ms.end))
        name_tok, ms = c
        name = str(name_tok)
        matchers = (ms.matchers if ms is not None else ()) + (
            Matcher(MatchType.EQUAL, METRIC_NAME, name),
        )
        end = ms.end if ms is not None else _end(name_tok)
        return VectorSelector(name, matchers, pos=_pr(_start(name_tok), end))

    def matchers(self, c: list[Any]) -> _Matchers:
        found = tuple(m for m in c[1:-1] if isinstance(m, Matcher))
        return _Matchers(found, _start(c[0]), _end(c[-1]))

    def matcher(self, c: list[Any]) -> Matcher:
        if len(c) == 1:  # {"name"}: a metric name matcher
            return Matcher(MatchType.EQUAL, METRIC_NAME, _string(c[0]))
        name_tok, op_tok, value_tok = c
        name = _string(name_tok) if name_tok.type == "STRING" else str(name_tok)
        value = _string(value_tok)
        try:
            return Matcher(MatchType(str(op_tok)), name, value)
        except RegexError as exc:
            raise _fail(_start(name_tok), _end(value_tok), str(exc)) from None

    def matrix(self, c: list[Any]) -> MatrixSelector:
        e, lb, rng, rb = c
        _check_positive(rng)
        if not isinstance(e, VectorSelector):
            raise _fail(_start(lb), _end(rb), "ranges only allowed for vector selectors")
        if e.offset is not None:
            raise _fail(_start(lb), _end(rb), "no offset modifiers allowed before range")
        if e.at is not None:
            raise _fail(_start(lb), _end(rb), "no @ modifiers allowed before range")
        return MatrixSelector(e, rng, pos=_pr(e.pos.start, _end(rb)))

    def subquery(self, c: list[Any]) -> SubqueryExpr:
        e, _lb, rng, _colon, step, rb = c
        _check_positive(rng)
        if step is not None:
            _check_positive(step)
        return SubqueryExpr(e, rng, step, pos=_pr(e.pos.start, _end(rb)))

    def offset(self, c: list[Any]) -> Expr:
        e, _tok, value = c
        _check_duration_literal(value)
        end = value.pos.end
        if isinstance(value, NumberLiteral) and value.value == 0:
            value = None  # upstream keeps a zero offset as "no offset"
        if isinstance(e, VectorSelector):
            if e.offset is not None:
                raise _fail(e.pos.start, e.pos.end, "offset may not be set multiple times")
            return dataclasses.replace(e, offset=value, pos=_pr(e.pos.start, end))
        if isinstance(e, MatrixSelector):
            if e.vector.offset is not None:
                raise _fail(e.pos.start, e.pos.end, "offset may not be set multiple times")
            vs = dataclasses.replace(e.vector, offset=value)
            return MatrixSelector(vs, e.range, pos=_pr(e.pos.start, end))
        if isinstance(e, SubqueryExpr):
            if e.offset is not None:
                raise _fail(e.pos.start, e.pos.end, "offset may not be set multiple times")
            return dataclasses.replace(e, offset=value, pos=_pr(e.pos.start, end))
        raise _fail(
            e.pos.start,
            e.pos.end,
            "offset modifier must be preceded by an instant vector selector or range "
            "vector selector or a subquery",
        )

    def at_value(self, c: list[Any]) -> _At:
        if len(c) == 3:
            tok, _lp, rp = c
            kind = AtKind.START if _op(tok) == "start" else AtKind.END
            return _At(AtModifier(kind), 0.0, _end(rp))
        sign, tok = c
        value = _signed(sign, _number(tok)).value
        ts = 0.0 if math.isnan(value) or math.isinf(value) else round(value * 1000) / 1000
        return _At(AtModifier(AtKind.TIME, ts), value, _end(tok))

    def at(self, c: list[Any]) -> Expr:
        e, _tok, at = c
        v = at.value
        if math.isinf(v) or math.isnan(v) or abs(v * 1000) >= 2**63:
            shown = "NaN" if math.isnan(v) else ("+Inf" if v > 0 else "-Inf")
            if not (math.isinf(v) or math.isnan(v)):
                shown = f"{v:f}"
            raise _fail(e.pos.start, e.pos.end, f"timestamp out of bounds for @ modifier: {shown}")
        if isinstance(e, VectorSelector):
            target: VectorSelector | SubqueryExpr = e
        elif isinstance(e, MatrixSelector):
            target = e.vector
        elif isinstance(e, SubqueryExpr):
            target = e
        else:
            raise _fail(
                e.pos.start,
                e.pos.end,
                "@ modifier must be preceded by an instant vector selector or range vector "
                "selector or a subquery",
            )
        if target.at is not None:
            raise _fail(e.pos.start, e.pos.end, "@ <timestamp> may not be set multiple times")
        if isinstance(e, MatrixSelector):
            vs = dataclasses.replace(e.vector, at=at.at)
            return MatrixSelector(vs, e.range, pos=_pr(e.pos.start, at.end))
        return dataclasses.replace(target, at=at.at, pos=_pr(e.pos.start, at.end))

    def anchored(self, c: list[Any]) -> Expr:
        return self._extended(c[0], "anchored")

    def smoothed(self, c: list[Any]) -> Expr:
        return self._extended(c[0], "smoothed")

    @staticmethod
    def _extended(e: Expr, kind: str) -> Expr:
        other = "smoothed" if kind == "anchored" else "anchored"
        if isinstance(e, VectorSelector | MatrixSelector):
            vs = e if isinstance(e, VectorSelector) else e.vector
            if getattr(vs, other):
                raise _fail(
                    e.pos.start,
                    e.pos.end,
                    "anchored and smoothed modifiers cannot be used together",
                )
            if kind == "anchored":
                vs = dataclasses.replace(vs, anchored=True)
            else:
                vs = dataclasses.replace(vs, smoothed=True)
            if isinstance(e, VectorSelector):
                return vs
            return MatrixSelector(vs, e.range, pos=e.pos)
        if isinstance(e, SubqueryExpr):
            raise _fail(e.pos.start, e.pos.end, f"{kind} modifier is not supported for subqueries")
        raise _fail(e.pos.start, e.pos.end, f"{kind} modifier not implemented")

    # -- calls and aggregations -----------------------------------------------

    def call(self, c: list[Any]) -> Call:
        name_tok, _lp, args, rp = c
        name = str(name_tok)
        if name not in FUNCTIONS:
            raise _tok_fail(name_tok, f"unknown function with name {go_quote(name)}")
        return Call(name, tuple(args or ()), pos=_pr(_start(name_tok), _end(rp)))

    def call_args(self, c: list[Any]) -> list[Expr]:
        if c and isinstance(c[-1], Token) and c[-1].type == "COMMA":
            raise _tok_fail(c[-1], "trailing commas not allowed in function call args")
        return [e for e in c if not isinstance(e, Token) and e is not None]

    def call_body(self, c: list[Any]) -> _Body:
        _lp, args, rp = c
        return _Body(tuple(args or ()), _end(rp))

    def aggregate(self, c: list[Any]) -> AggregateExpr:
        op_tok = c[0]
        if isinstance(c[1], _Grouping):
            grouping: _Grouping | None = c[1]
            body: _Body = c[2]
            end = body.end
        else:
            body, grouping = c[1], c[2]
            end = grouping.end if grouping is not None else body.end
        op = _op(op_tok)
        start = _start(op_tok)
        args = body.args
        if not args:
            raise _fail(start, end, "no arguments for aggregate expression provided")
        want = 2 if op in PARAM_AGGREGATIONS else 1
        if len(args) != want:
            raise _fail(
                start,
                end,
                "wrong number of arguments for aggregate expression provided, "
                f"expected {want}, got {len(args)}",
            )
        return AggregateExpr(
            op,
            args[-1],
            param=args[0] if want == 2 else None,
            grouping=grouping.labels if grouping is not None else (),
            without=grouping.without if grouping is not None else False,
            pos=_pr(start, end),
        )

    def label_grouping(self, c: list[Any]) -> _Grouping:
        tok, labels = c
        return _Grouping(_op(tok) == "without", labels.labels, labels.end)

    def label_list(self, c: list[Any]) -> _Labels:
        names: list[str] = []
        for t in c[1:-1]:
            if t is None or t.type == "COMMA":
                continue
            if t.type == "STRING":
                name = _string(t)
                if not name or not is_valid_utf8(name):
                    raise _tok_fail(t, f"invalid label name for grouping: {go_quote(name)}")
            else:
                name = str(t)
            names.append(name)
        return _Labels(tuple(names), _end(c[-1]))

    # -- duration expressions -------------------------------------------------

    def dur_binary(self, c: list[Any]) -> BinaryExpr:
        lhs, op_tok, rhs = c
        _check_duration_literal(lhs)
        _check_duration_literal(rhs)
        op = str(op_tok)
        if isinstance(rhs, NumberLiteral) and rhs.value == 0 and op in "/%":
            raise _tok_fail(op_tok, "division by zero" if op == "/" else "modulo by zero")
        return BinaryExpr(op, lhs, rhs, pos=_pr(lhs.pos.start, rhs.pos.end))

    def dur_unary(self, c: list[Any]) -> Expr:
        op, e = c
        if isinstance(e, NumberLiteral):
            lit = _signed(op, e)
            _check_duration_literal(lit)
            return lit
        if op == "+":  # upstream drops a unary plus in durations
            return cast(Expr, e)
        return UnaryExpr("-", e, pos=_pr(_start(op), e.pos.end))

    def offset_signed_number(self, c: list[Any]) -> NumberLiteral:
        sign, tok = c
        return _signed(sign, _number(tok))

    def dur_paren(self, c: list[Any]) -> ParenExpr:
        lp, e, rp = c
        _check_duration_literal(e)
        return ParenExpr(e, pos=_pr(_start(lp), _end(rp)))

    def dur_func(self, c: list[Any]) -> Call:
        tok = c[0]
        args = tuple(e for e in c[1:] if isinstance(e, Expr))
        for a in args:
            _check_duration_literal(a)
        return Call(_op(tok), args, pos=_pr(_start(tok), _end(c[-1])))
