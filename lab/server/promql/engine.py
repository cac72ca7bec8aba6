"""The PromQL engine's public face: instant and range queries over a Queryable.

    engine = Engine(max_samples=50_000_000, timeout_s=120.0)
    result = engine.instant_query(storage, 'sum by (job) (rate(x[5m]))', t_ms)
    result = engine.range_query(storage, 'up', start_ms, end_ms, step_ms)

``QueryResult.value`` is in the API's shape: ``VectorResult`` (samples),
``MatrixResult`` (series of points, sorted by labels), ``ScalarResult`` or
``StringResult``; ``warnings`` and ``infos`` are upstream's annotation texts.
Errors are raised (``ParseError``, ``EvalError``, ``TooManySamplesError``,
``QueryTimeoutError``), never returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from lab.model.labels import Labels
from lab.server.promql.context import Annotations
from lab.server.promql.errors import EvalError
from lab.server.promql.evaluator import (
    DUPLICATE_LABELSET,
    Evaluator,
    QueryBounds,
    drop_metric_name,
    finalize_names,
)
from lab.server.promql.parser.ast import Expr, ValueType
from lab.server.promql.values import InstantVector, RangeVector, Scalar, StringValue, Value
from lab.server.storage.interface import Queryable


@dataclass(frozen=True, slots=True)
class Sample:
    labels: Labels
    t_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class MatrixSeries:
    labels: Labels
    points: list[tuple[int, float]]


@dataclass(frozen=True, slots=True)
class VectorResult:
    samples: list[Sample]
    result_type: str = "vector"


@dataclass(frozen=True, slots=True)
class MatrixResult:
    series: list[MatrixSeries]
    result_type: str = "matrix"


@dataclass(frozen=True, slots=True)
class ScalarResult:
    t_ms: int
    value: float
    result_type: str = "scalar"


@dataclass(frozen=True, slots=True)
class StringResult:
    t_ms: int
    value: str
    result_type: str = "string"


ResultValue = VectorResult | MatrixResult | ScalarResult | StringResult


@dataclass(frozen=True, slots=True)
class QueryResult:
    value: ResultValue
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)


_DOC_TYPES = {
    ValueType.SCALAR: "scalar",
    ValueType.VECTOR: "instant vector",
    ValueType.MATRIX: "range vector",
    ValueType.STRING: "string",
}


class Engine:
    def __init__(
        self,
        max_samples: int = 50_000_000,
        timeout_s: float = 120.0,
        lookback_delta_ms: int = 5 * 60 * 1000,
        default_subquery_step_ms: int = 60_000,
    ) -> None:
        self.max_samples = max_samples
        self.timeout_s = timeout_s
        self.lookback_delta_ms = lookback_delta_ms if lookback_delta_ms > 0 else 300_000
        self.default_subquery_step_ms = default_subquery_step_ms

    # -- public API ----------------------------------------------------------------------

    def instant_query(self, queryable: Queryable, query: str, t_ms: int) -> QueryResult:
        return self.instant_query_expr(queryable, _parse(query), t_ms)

    def range_query(
        self, queryable: Queryable, query: str, start_ms: int, end_ms: int, step_ms: int
    ) -> QueryResult:
        return self.range_query_expr(queryable, _parse(query), start_ms, end_ms, step_ms)

    def instant_query_expr(self, queryable: Queryable, expr: Expr, t_ms: int) -> QueryResult:
        annotations = Annotations()
        ev = self._evaluator(queryable, QueryBounds(t_ms, t_ms, 0), annotations)
        val, _ = ev.evaluate(expr)
        return QueryResult(_instant_result(val, t_ms), annotations.warnings, annotations.infos)

    def range_query_expr(
        self, queryable: Queryable, expr: Expr, start_ms: int, end_ms: int, step_ms: int
    ) -> QueryResult:
        if expr.type not in (ValueType.SCALAR, ValueType.VECTOR):
            raise EvalError(
                f'invalid expression type "{_DOC_TYPES[expr.type]}" for range query, '
                "must be Scalar or instant Vector"
            )
        if step_ms <= 0:
            raise EvalError(
                "zero or negative query resolution step widths are not accepted. "
                "Try a positive integer"
            )
        if end_ms < start_ms:
            raise EvalError("end timestamp must not be before start time")
        annotations = Annotations()
        ev = self._evaluator(queryable, QueryBounds(start_ms, end_ms, step_ms), annotations)
        val, ctx = ev.evaluate(expr)
        return QueryResult(
            _range_result(val, ctx.times.tolist()), annotations.warnings, annotations.infos
        )

    def _evaluator(
        self, queryable: Queryable, bounds: QueryBounds, annotations: Annotations
    ) -> Evaluator:
        return Evaluator(
            queryable,
            bounds,
            lookback_ms=self.lookback_delta_ms,
            max_samples=self.max_samples,
            deadline=time.monotonic() + self.timeout_s,
            annotations=annotations,
            default_subquery_step_ms=self.default_subquery_step_ms,
        )


def _parse(query: str) -> Expr:
    from lab.server.promql.parser.parser import parse

    return parse(query)


def _present_rows(vec: InstantVector) -> InstantVector:
    rows = np.flatnonzero(vec.present.any(axis=1))
    if rows.size == vec.num_series:
        return vec
    return InstantVector(
        [vec.labels[i] for i in rows], vec.values[rows], vec.present[rows], vec.drop_name[rows]
    )


def _instant_result(val: Value, t_ms: int) -> ResultValue:
    if isinstance(val, Scalar):
        return ScalarResult(t_ms, float(val.values[0]) if val.values.size else float("nan"))
    if isinstance(val, StringValue):
        return StringResult(t_ms, val.value)
    if isinstance(val, InstantVector):
        vec = finalize_names(_present_rows(val))
        return VectorResult(
            [Sample(lab, t_ms, float(vec.values[i, 0])) for i, lab in enumerate(vec.labels)]
        )
    return _matrix_of_windows(val)


def _matrix_of_windows(rv: RangeVector) -> MatrixResult:
    """An instant query of a range selector or subquery: each series' samples in
    the (single) window."""
    out: list[MatrixSeries] = []
    for i, s in enumerate(rv.series):
        lo, hi = int(rv.lo[i, 0]), int(rv.hi[i, 0])
        if hi <= lo:
            continue
        labels = drop_metric_name(s.labels) if rv.drop_name[i] else s.labels
        points = list(zip(s.timestamps[lo:hi].tolist(), s.values[lo:hi].tolist(), strict=True))
        out.append(MatrixSeries(labels, points))
    if len({m.labels for m in out}) != len(out):
        raise EvalError(DUPLICATE_LABELSET)
    out.sort(key=lambda m: m.labels)
    return MatrixResult(out)


def _range_result(val: Value, times: list[int]) -> MatrixResult:
    if isinstance(val, Scalar):
        return MatrixResult(
            [MatrixSeries(Labels(), list(zip(times, val.values.tolist(), strict=True)))]
        )
    if not isinstance(val, InstantVector):
        raise EvalError("range query did not yield a scalar or an instant vector")
    vec = finalize_names(_present_rows(val))
    out: list[MatrixSeries] = []
    for i, lab in enumerate(vec.labels):
        mask = vec.present[i]
        ts = np.asarray(times, dtype=np.int64)[mask].tolist()
        out.append(MatrixSeries(lab, list(zip(ts, vec.values[i][mask].tolist(), strict=True))))
    out.sort(key=lambda m: m.labels)
    return MatrixResult(out)
