"""The PromQL abstract syntax tree: frozen dataclasses with source positions.

Positions (``pos``) are excluded from equality so that ``parse(print(e)) == e``
holds although printing normalises spacing.

Durations (ranges, steps, offsets) are themselves expressions in seconds, as in
Prometheus 3.x: ``x[5m]`` holds ``NumberLiteral(300.0, duration=True)``; a
duration expression such as ``x[5m+step()]`` holds the arithmetic tree. The
engine resolves them with ``step()``, ``range()``, ``start()``, ``end()`` known.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from lab.model.matcher import Matcher


class ValueType(enum.Enum):
    SCALAR = "scalar"
    VECTOR = "vector"  # instant vector
    MATRIX = "matrix"  # range vector
    STRING = "string"


@dataclass(frozen=True, slots=True)
class PositionRange:
    """Character offsets ``[start, end)`` into the query text."""

    start: int
    end: int


_NO_POS = PositionRange(0, 0)


class Expr:
    """Base of every node. ``type`` is the PromQL value type the node yields."""

    __slots__ = ()
    pos: PositionRange

    @property
    def type(self) -> ValueType:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class NumberLiteral(Expr):
    value: float
    #: written as a duration (``5m``): printed back as one; not part of equality
    duration: bool = field(default=False, compare=False)
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return ValueType.SCALAR


@dataclass(frozen=True, slots=True)
class StringLiteral(Expr):
    value: str
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return ValueType.STRING


class AtKind(enum.Enum):
    TIME = "time"  # @ <timestamp>
    START = "start"  # @ start()
    END = "end"  # @ end()


@dataclass(frozen=True, slots=True)
class AtModifier:
    kind: AtKind
    #: seconds since epoch, for AtKind.TIME
    timestamp: float = 0.0


@dataclass(frozen=True, slots=True)
class VectorSelector(Expr):
    """``name{matchers} offset d @ t``. ``matchers`` include the ``__name__`` one
    when a name is given; ``name`` is kept for printing."""

    name: str | None
    matchers: tuple[Matcher, ...]
    offset: Expr | None = None
    at: AtModifier | None = None
    anchored: bool = False
    smoothed: bool = False
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return ValueType.VECTOR


@dataclass(frozen=True, slots=True)
class MatrixSelector(Expr):
    """``vector[range]``; offset/@ live on the inner VectorSelector."""

    vector: VectorSelector
    range: Expr
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return ValueType.MATRIX


@dataclass(frozen=True, slots=True)
class SubqueryExpr(Expr):
    """``expr[range:step] offset d @ t``; ``step`` None means the default
    evaluation interval."""

    expr: Expr
    range: Expr
    step: Expr | None = None
    offset: Expr | None = None
    at: AtModifier | None = None
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return ValueType.MATRIX


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        from lab.server.promql.parser.functions import FUNCTIONS

        return FUNCTIONS[self.func].return_type


@dataclass(frozen=True, slots=True)
class AggregateExpr(Expr):
    """``op by|without (grouping) (param, expr)``. ``param`` is set for topk,
    bottomk, quantile, count_values, limitk and limit_ratio."""

    op: str
    expr: Expr
    param: Expr | None = None
    grouping: tuple[str, ...] = ()
    without: bool = False
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return ValueType.VECTOR


class Cardinality(enum.Enum):
    ONE_TO_ONE = "one-to-one"
    MANY_TO_ONE = "many-to-one"  # group_left
    ONE_TO_MANY = "one-to-many"  # group_right
    MANY_TO_MANY = "many-to-many"  # and, or, unless


@dataclass(frozen=True, slots=True)
class VectorMatching:
    """How two vectors are matched: ``on(labels)`` / ``ignoring(labels)`` and
    ``group_left(include)`` / ``group_right(include)``.

    ``explicit`` says whether on/ignoring was written (for printing)."""

    card: Cardinality = Cardinality.ONE_TO_ONE
    on: bool = False
    labels: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    explicit: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class BinaryExpr(Expr):
    """``lhs op [bool] [on(...)|ignoring(...)] [group_x(...)] [fill...] rhs``.

    ``matching`` is None when at least one side is a scalar. ``fill_left`` /
    ``fill_right`` are the experimental fill() values for missing sides."""

    op: str
    lhs: Expr
    rhs: Expr
    return_bool: bool = False
    matching: VectorMatching | None = None
    fill_left: float | None = None
    fill_right: float | None = None
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        if self.lhs.type is ValueType.SCALAR and self.rhs.type is ValueType.SCALAR:
            return ValueType.SCALAR
        return ValueType.VECTOR


@dataclass(frozen=True, slots=True)
class UnaryExpr(Expr):
    op: str  # "-" or "+"
    expr: Expr
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return self.expr.type


@dataclass(frozen=True, slots=True)
class ParenExpr(Expr):
    expr: Expr
    pos: PositionRange = field(default=_NO_POS, compare=False, kw_only=True)

    @property
    def type(self) -> ValueType:
        return self.expr.type


#: Operators and their precedence (higher binds tighter); ``^`` is right-associative.
BINARY_PRECEDENCE: dict[str, int] = {
    "or": 1,
    "and": 2,
    "unless": 2,
    "==": 3,
    "!=": 3,
    "<=": 3,
    "<": 3,
    ">=": 3,
    ">": 3,
    "</": 3,  # histogram trim upper (native histograms)
    ">/": 3,  # histogram trim lower
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
    "atan2": 5,
    "^": 6,
}
COMPARISON_OPS = frozenset({"==", "!=", "<=", "<", ">=", ">"})
SET_OPS = frozenset({"and", "or", "unless"})
AGGREGATION_OPS = frozenset(
    {
        "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar",
        "topk", "bottomk", "count_values", "quantile", "limitk", "limit_ratio",
    }
)  # fmt: skip
PARAMETRIC_AGGREGATIONS = frozenset(
    {"topk", "bottomk", "count_values", "quantile", "limitk", "limit_ratio"}
)
