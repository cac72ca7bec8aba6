"""Query evaluation for ``/api/v1/query`` and ``/api/v1/query_range``: parameters
checked in upstream's order with upstream's texts, the engine run, the result
encoded. Everything here is synchronous and CPU-bound; the router runs it in
the query executor, off the event loop.

Range queries take a fast path: the evaluator's (series x steps) arrays are
encoded directly (``encode.MatrixWriter``) instead of going through the
engine's per-point ``MatrixResult``, which builds a Python tuple per point.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lab.model.errors import LabError
from lab.model.labels import Labels
from lab.server.api import encode
from lab.server.api.errors import (
    ApiError,
    BadDataError,
    ExecutionError,
    InternalError,
    TimeoutError_,
    invalid_param,
)
from lab.server.api.params import Form, parse_duration_ms, parse_time
from lab.server.promql.context import Annotations
from lab.server.promql.engine import (
    Engine,
    MatrixResult,
    ResultValue,
    ScalarResult,
    StringResult,
    VectorResult,
)
from lab.server.promql.errors import (
    EvalError,
    ParseError,
    QueryTimeoutError,
    TooManySamplesError,
)
from lab.server.promql.evaluator import Evaluator, QueryBounds, finalize_names
from lab.server.promql.parser.ast import Expr, ValueType
from lab.server.promql.values import InstantVector, Scalar
from lab.server.storage.interface import Queryable

MAX_POINTS_PER_SERIES = 11_000
_TRUNCATED = "results truncated due to limit"
_DOC_TYPES = {ValueType.MATRIX: "range vector", ValueType.STRING: "string"}


@dataclass(frozen=True, slots=True)
class QuerySettings:
    """The server's ``--query.*`` flags."""

    max_samples: int = 50_000_000
    timeout_s: float = 120.0
    lookback_delta_ms: int = 300_000
    #: gets each query's evaluation time in seconds (the server's self-metrics)
    observe_eval: Callable[[float], None] | None = None


@dataclass(frozen=True, slots=True)
class Encoded:
    """A success body's parts: ``data`` as JSON text plus annotations."""

    data: str
    warnings: list[str]
    infos: list[str]

    def body(self) -> bytes:
        return encode.envelope(self.data, self.warnings, self.infos)


def _parse(query: str, *, wrap: bool) -> Expr:
    from lab.server.promql.parser.parser import parse

    try:
        return parse(query)
    except ParseError as exc:
        raise (invalid_param("query", str(exc)) if wrap else BadDataError(str(exc))) from None


def _timeout_s(form: Form, settings: QuerySettings) -> float:
    text = form.get("timeout")
    if not text:
        return settings.timeout_s
    try:
        ms = parse_duration_ms(text)
    except ValueError as exc:
        raise invalid_param("timeout", str(exc)) from None
    # Upstream derives a context deadline; the engine's own timeout still applies.
    return min(max(ms / 1000.0, 0.0), settings.timeout_s)


def _engine(settings: QuerySettings, timeout_s: float) -> Engine:
    return Engine(
        max_samples=settings.max_samples,
        timeout_s=timeout_s,
        lookback_delta_ms=settings.lookback_delta_ms,
    )


def map_engine_error(exc: Exception) -> ApiError:
    """Upstream's ``returnAPIError``: timeouts 503, everything else from the
    engine (including too many samples) 422 execution."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, QueryTimeoutError):
        return TimeoutError_(str(exc))
    if isinstance(exc, TooManySamplesError | EvalError):
        return ExecutionError(str(exc))
    if isinstance(exc, ParseError):
        return BadDataError(str(exc))
    if isinstance(exc, LabError):
        return ExecutionError(str(exc))
    return InternalError(f"unexpected error: {type(exc).__name__}")


def _stats(started: float) -> str:
    total = time.perf_counter() - started
    return (
        '"stats":{"timings":{"evalTotalTime":' + repr(total) + ',"resultSortTime":0,'
        '"queryPreparationTime":0,"innerEvalTime":' + repr(total) + ',"execQueueTime":0,'
        '"execTotalTime":' + repr(total) + '},"samples":{"totalQueryableSamples":0,'
        '"peakSamples":0}}'
    )


def _limit(form: Form) -> int:
    text = form.get("limit")
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        raise invalid_param("limit", f'cannot parse "{text}" to a valid limit') from None
    if value < 0:
        raise invalid_param("limit", "limit must be non-negative")
    return value


def _with_stats(data: str, form: Form, started: float) -> str:
    if not form.get("stats"):
        return data
    return data[:-1] + "," + _stats(started) + "}"


def instant_query(
    queryable: Queryable, form: Form, settings: QuerySettings, now_ms: int
) -> Encoded:
    started = time.perf_counter()
    t_ms = form.time("time", now_ms)
    timeout_s = _timeout_s(form, settings)
    limit = _limit(form)
    expr = _parse(form.get("query"), wrap=True)
    eval_started = time.perf_counter()
    try:
        result = _engine(settings, timeout_s).instant_query_expr(queryable, expr, t_ms)
    except Exception as exc:  # the engine's errors become API errors, never a 500 trace
        raise map_engine_error(exc) from exc
    if settings.observe_eval is not None:
        settings.observe_eval(time.perf_counter() - eval_started)
    warnings = list(result.warnings)
    data = _result_json(result.value, limit, warnings)
    return Encoded(_with_stats(data, form, started), warnings, list(result.infos))


def _result_json(value: ResultValue, limit: int, warnings: list[str]) -> str:
    if isinstance(value, ScalarResult):
        inner = encode.scalar_json(value.t_ms, value.value)
    elif isinstance(value, StringResult):
        inner = encode.string_json(value.t_ms, value.value)
    elif isinstance(value, VectorResult):
        samples = value.samples
        if limit and len(samples) > limit:
            samples = samples[:limit]
            warnings.append(_TRUNCATED)
        inner = encode.vector_json(
            [s.labels for s in samples],
            [s.t_ms for s in samples],
            np.array([s.value for s in samples], dtype=np.float64),
        )
    else:
        series = value.series
        if limit and len(series) > limit:
            series = series[:limit]
            warnings.append(_TRUNCATED)
        inner = _matrix_json(MatrixResult(series))
    return '{"resultType":"' + value.result_type + '","result":' + inner + "}"


def _matrix_json(matrix: MatrixResult) -> str:
    out = []
    for s in matrix.series:
        ts = encode.format_timestamps(np.array([p[0] for p in s.points], dtype=np.int64))
        vs = np.array([p[1] for p in s.points], dtype=np.float64)
        out.append(
            '{"metric":'
            + encode.labels_json(s.labels)
            + ',"values":['
            + encode.point_pairs(ts, vs)
            + "]}"
        )
    return "[" + ",".join(out) + "]"


@dataclass(frozen=True, slots=True)
class RangeParams:
    start_ms: int
    end_ms: int
    step_ms: int


def range_params(form: Form) -> RangeParams:
    """start, end, step checked in upstream's order with its messages."""
    values = []
    for name in ("start", "end"):
        try:
            values.append(parse_time(form.get(name)))
        except ValueError as exc:
            raise invalid_param(name, str(exc)) from None
    start, end = values
    if end < start:
        raise invalid_param("end", "end timestamp must not be before start time")
    try:
        step = parse_duration_ms(form.get("step"))
    except ValueError as exc:
        raise invalid_param("step", str(exc)) from None
    step_ms = int(step)
    if step <= 0 or step_ms <= 0:
        raise invalid_param(
            "step",
            "zero or negative query resolution step widths are not accepted. "
            "Try a positive integer",
        )
    # Upstream divides Go durations (integer nanoseconds).
    if (end - start) * 1_000_000 // round(step * 1_000_000) > MAX_POINTS_PER_SERIES:
        raise BadDataError(
            "exceeded maximum resolution of 11,000 points per timeseries. "
            "Try decreasing the query resolution (?step=XX)"
        )
    return RangeParams(start, end, step_ms)


def range_query(queryable: Queryable, form: Form, settings: QuerySettings) -> Encoded:
    started = time.perf_counter()
    params = range_params(form)
    timeout_s = _timeout_s(form, settings)
    limit = _limit(form)
    expr = _parse(form.get("query"), wrap=False)
    if expr.type not in (ValueType.SCALAR, ValueType.VECTOR):
        raise BadDataError(
            f'invalid expression type "{_DOC_TYPES[expr.type]}" for range query, '
            "must be Scalar or instant Vector"
        )
    eval_started = time.perf_counter()
    try:
        data, warnings, infos = _range_matrix(queryable, expr, params, settings, timeout_s, limit)
    except Exception as exc:
        raise map_engine_error(exc) from exc
    if settings.observe_eval is not None:
        settings.observe_eval(time.perf_counter() - eval_started)
    return Encoded(_with_stats(data, form, started), warnings, infos)


def _range_matrix(
    queryable: Queryable,
    expr: Expr,
    p: RangeParams,
    settings: QuerySettings,
    timeout_s: float,
    limit: int,
) -> tuple[str, list[str], list[str]]:
    """Evaluate over all steps and encode the (series x steps) arrays directly."""
    annotations = Annotations()
    evaluator = Evaluator(
        queryable,
        QueryBounds(p.start_ms, p.end_ms, p.step_ms),
        lookback_ms=settings.lookback_delta_ms,
        max_samples=settings.max_samples,
        deadline=time.monotonic() + timeout_s,
        annotations=annotations,
    )
    value, ctx = evaluator.evaluate(expr)
    writer = encode.MatrixWriter(ctx.times)
    warnings = list(annotations.warnings)
    if isinstance(value, Scalar):
        present = np.ones(value.values.shape, dtype=bool)
        series = [writer.series(Labels(), value.values, present)]
    elif isinstance(value, InstantVector):
        rows = np.flatnonzero(value.present.any(axis=1))
        if rows.size != value.num_series:
            value = InstantVector(
                [value.labels[i] for i in rows.tolist()],
                value.values[rows],
                value.present[rows],
                value.drop_name[rows],
            )
        vec = finalize_names(value)
        order = sorted(range(vec.num_series), key=vec.labels.__getitem__)
        if limit and len(order) > limit:
            order = order[:limit]
            warnings.append(_TRUNCATED)
        series = [writer.series(vec.labels[i], vec.values[i], vec.present[i]) for i in order]
    else:
        raise EvalError("range query did not yield a scalar or an instant vector")
    data = '{"resultType":"matrix","result":[' + ",".join(series) + "]}"
    return data, warnings, list(annotations.infos)


def check_exemplars_query(form: Form) -> None:
    """``/api/v1/query_exemplars``'s parameter checks (there is no exemplar
    storage yet, so a valid request answers an empty list)."""
    from lab.server.api.params import MAX_TIME_MS, MIN_TIME_MS

    form.time("start", MIN_TIME_MS)
    form.time("end", MAX_TIME_MS)
    _parse(form.get("query"), wrap=False)
