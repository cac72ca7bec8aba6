"""Which labels can a PromQL expression's result carry? (``None``: unknown,
e.g. a raw selector.) Used to find templates that read labels the query has
aggregated or matched away."""

from __future__ import annotations

from lab.model.matcher import MatchType
from lab.server.promql.parser.ast import (
    AggregateExpr,
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
    VectorSelector,
)

_SCALAR_FUNCS = frozenset({"vector", "time", "scalar", "pi"})
_SET_OPS = frozenset({"and", "or", "unless"})


def output_labels(e: Expr) -> set[str] | None:
    if isinstance(e, (NumberLiteral, StringLiteral)):
        return set()
    if isinstance(e, (ParenExpr, UnaryExpr)):
        return output_labels(e.expr)
    if isinstance(e, (VectorSelector, MatrixSelector)):
        return None
    if isinstance(e, SubqueryExpr):
        return output_labels(e.expr)
    if isinstance(e, AggregateExpr):
        inner = output_labels(e.expr)
        if e.op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        if e.without:
            return None if inner is None else inner - set(e.grouping)
        out = set(e.grouping)
        if e.op == "count_values" and isinstance(e.param, StringLiteral):
            out.add(e.param.value)
        return out
    if isinstance(e, Call):
        return _call(e)
    if isinstance(e, BinaryExpr):
        return _binary(e)
    return None


def _call(e: Call) -> set[str] | None:
    if e.func in _SCALAR_FUNCS:
        return set()
    if e.func in ("absent", "absent_over_time") and e.args:
        arg = e.args[0]
        sel = arg.vector if isinstance(arg, MatrixSelector) else arg
        if isinstance(sel, VectorSelector):
            return {
                m.name for m in sel.matchers if m.type is MatchType.EQUAL and m.name != "__name__"
            }
        return set()
    vectors = [a for a in e.args if a.type in (ValueType.VECTOR, ValueType.MATRIX)]
    if not vectors:
        return set()
    inner = output_labels(vectors[0])
    if inner is None:
        return None
    if e.func in ("label_replace", "label_join") and len(e.args) > 1:
        dst = e.args[1]
        if isinstance(dst, StringLiteral):
            return inner | {dst.value}
    if e.func == "histogram_quantile":
        return inner - {"le"}
    return inner


def _binary(e: BinaryExpr) -> set[str] | None:
    lt, rt = e.lhs.type, e.rhs.type
    if lt is ValueType.SCALAR:
        return output_labels(e.rhs)
    if rt is ValueType.SCALAR:
        return output_labels(e.lhs)
    lhs, rhs = output_labels(e.lhs), output_labels(e.rhs)
    m = e.matching
    if e.op in _SET_OPS:
        if e.op == "or":
            return None if lhs is None or rhs is None else lhs | rhs
        return lhs
    if m is None:
        return lhs
    include = set(m.include)
    if m.card is Cardinality.ONE_TO_MANY:
        return None if rhs is None else rhs | include
    if m.card is Cardinality.MANY_TO_ONE:
        return None if lhs is None else lhs | include
    if m.on:
        return set(m.labels)
    return None if lhs is None else lhs - set(m.labels)
