"""Type checks on a parsed expression, with upstream's messages and positions.

Prometheus type-checks only a syntactically valid query, walking the tree in
a fixed order and printing the first problem found; ``check`` walks in the
same order and raises the first one (``ParseProblem``).
"""

from __future__ import annotations

from lab.model.gostr import go_quote
from lab.server.promql.parser.ast import (
    AggregateExpr,
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
    VectorSelector,
)
from lab.server.promql.parser.functions import FUNCTIONS
from lab.server.promql.parser.transform import METRIC_NAME, SET_OPERATORS, ParseProblem

COMPARISON_OPERATORS = frozenset({"==", "!=", "<=", "<", ">=", ">"})
_SCALAR_PARAM_AGGREGATIONS = frozenset({"topk", "bottomk", "quantile", "limitk", "limit_ratio"})

#: how upstream names value types in messages (``DocumentedType``)
_DOCUMENTED = {
    ValueType.SCALAR: "scalar",
    ValueType.VECTOR: "instant vector",
    ValueType.MATRIX: "range vector",
    ValueType.STRING: "string",
}


def documented_type(t: ValueType) -> str:
    return _DOCUMENTED[t]


def _fail(pos: PositionRange, message: str) -> ParseProblem:
    return ParseProblem(pos.start, pos.end, message)


def check(expr: Expr, query: str = "") -> None:
    """Raise ``ParseProblem`` for the first type error in ``expr``."""
    _Checker(query).visit(expr)


class _Checker:
    def __init__(self, query: str) -> None:
        self.query = query

    def expect(self, e: Expr, want: ValueType, context: str) -> None:
        t = self.visit(e)
        if t is not want:
            raise _fail(
                e.pos,
                f"expected type {documented_type(want)} in {context}, got {documented_type(t)}",
            )

    def visit(self, e: Expr) -> ValueType:
        if isinstance(e, AggregateExpr):
            self.aggregate(e)
        elif isinstance(e, BinaryExpr):
            self.binary(e)
        elif isinstance(e, Call):
            self.call(e)
        elif isinstance(e, ParenExpr):
            self.visit(e.expr)
        elif isinstance(e, UnaryExpr):
            t = self.visit(e.expr)
            if t not in (ValueType.SCALAR, ValueType.VECTOR):
                raise _fail(
                    e.pos,
                    "unary expression only allowed on expressions of type scalar or instant "
                    f'vector, got "{documented_type(t)}"',
                )
        elif isinstance(e, SubqueryExpr):
            t = self.visit(e.expr)
            if t is not ValueType.VECTOR:
                raise _fail(
                    e.pos, f"subquery is only allowed on instant vector, got {t.value} instead"
                )
        elif isinstance(e, MatrixSelector):
            self.vector_selector(e.vector, bypass_empty_check=False)
        elif isinstance(e, VectorSelector):
            self.vector_selector(e, bypass_empty_check=False)
        elif not isinstance(e, NumberLiteral | StringLiteral):
            raise _fail(e.pos, f"unknown node type: {type(e).__name__}")
        return e.type

    def aggregate(self, e: AggregateExpr) -> None:
        self.expect(e.expr, ValueType.VECTOR, "aggregation expression")
        if e.param is not None:
            if e.op in _SCALAR_PARAM_AGGREGATIONS:
                self.expect(e.param, ValueType.SCALAR, "aggregation parameter")
            elif e.op == "count_values":
                self.expect(e.param, ValueType.STRING, "aggregation parameter")

    def _op_range(self, e: BinaryExpr) -> PositionRange:
        """The operator and its modifiers, as upstream computes it."""
        q = self.query
        start = e.lhs.pos.end
        end = e.rhs.pos.start - 1
        if not q or end >= len(q) or start >= len(q):
            return e.pos
        while start < len(q) and q[start] in " \t\r\n":
            start += 1
        while end > start and q[end] in " \t\r\n":
            end -= 1
        return PositionRange(start, end)

    def binary(self, e: BinaryExpr) -> None:
        lt = self.visit(e.lhs)
        rt = self.visit(e.rhs)
        m = e.matching
        if e.return_bool and e.op not in COMPARISON_OPERATORS:
            raise _fail(self._op_range(e), "bool modifier can only be used on comparison operators")
        if (
            e.op in COMPARISON_OPERATORS
            and not e.return_bool
            and lt is ValueType.SCALAR
            and rt is ValueType.SCALAR
        ):
            raise _fail(self._op_range(e), "comparisons between scalars must use BOOL modifier")
        if m is not None and m.on:
            for label in m.labels:
                if label in m.include:
                    raise _fail(
                        self._op_range(e),
                        f"label {go_quote(label)} must not occur in ON and GROUP clause at once",
                    )
        for side, t in ((e.lhs, lt), (e.rhs, rt)):
            if t not in (ValueType.SCALAR, ValueType.VECTOR):
                raise _fail(
                    side.pos, "binary expression must contain only scalar and instant vector types"
                )
        filled = e.fill_left is not None or e.fill_right is not None
        if lt is not ValueType.VECTOR or rt is not ValueType.VECTOR:
            if m is not None and m.labels:
                raise _fail(e.pos, "vector matching only allowed between instant vectors")
            if filled:
                raise _fail(e.pos, "filling in missing series only allowed between instant vectors")
        elif e.op in SET_OPERATORS and m is not None:
            if m.card in (Cardinality.ONE_TO_MANY, Cardinality.MANY_TO_ONE):
                raise _fail(e.pos, f"no grouping allowed for {go_quote(e.op)} operation")
            if filled:
                raise _fail(e.pos, "filling in missing series not allowed for set operators")
        if (lt is ValueType.SCALAR or rt is ValueType.SCALAR) and e.op in SET_OPERATORS:
            raise _fail(
                e.pos, f"set operator {go_quote(e.op)} not allowed in binary scalar expression"
            )

    def call(self, e: Call) -> None:
        sig = FUNCTIONS[e.func]
        n = len(e.args)
        if sig.variadic == 0:
            if n != len(sig.arg_types):
                raise _fail(
                    e.pos,
                    f"expected {len(sig.arg_types)} argument(s) in call to {go_quote(e.func)}, "
                    f"got {n}",
                )
        else:
            least = len(sig.arg_types) - 1
            if n < least:
                raise _fail(
                    e.pos,
                    f"expected at least {least} argument(s) in call to {go_quote(e.func)}, got {n}",
                )
            most = sig.max_args
            if most is not None and n > most:
                raise _fail(
                    e.pos,
                    f"expected at most {most} argument(s) in call to {go_quote(e.func)}, got {n}",
                )
        bypass: Expr | None = None
        if e.func == "info" and n > 1:
            labels_arg = e.args[1]
            if labels_arg.type is not ValueType.VECTOR:
                raise _fail(
                    e.pos,
                    f'expected type instant vector in call to function "info", '
                    f"got {documented_type(labels_arg.type)}",
                )
            if isinstance(labels_arg, VectorSelector) and labels_arg.name is not None:
                raise _fail(
                    labels_arg.pos, "expected label selectors only, got vector selector instead"
                )
            if not isinstance(labels_arg, VectorSelector):
                raise _fail(labels_arg.pos, "expected label selectors only")
            bypass = labels_arg
        for i, arg in enumerate(e.args):
            if i >= len(sig.arg_types) and sig.variadic == 0:
                break
            want = sig.arg_type(i)
            if arg is bypass:
                assert isinstance(arg, VectorSelector)
                self.vector_selector(arg, bypass_empty_check=True)
                t = arg.type
            else:
                t = self.visit(arg)
            if t is not want:
                raise _fail(
                    arg.pos,
                    f"expected type {documented_type(want)} in call to function "
                    f"{go_quote(e.func)}, got {documented_type(t)}",
                )

    def vector_selector(self, e: VectorSelector, *, bypass_empty_check: bool) -> None:
        if e.name is not None:
            # The name matcher is the last one; another __name__ one is a repeat.
            for m in e.matchers[:-1]:
                if m.name == METRIC_NAME:
                    raise _fail(
                        e.pos,
                        f"metric name must not be set twice: {go_quote(e.name)} or "
                        f"{go_quote(m.value)}",
                    )
            return
        if bypass_empty_check:
            return
        if not any(not m.matches_empty() for m in e.matchers):
            raise _fail(e.pos, "vector selector must contain at least one non-empty matcher")
