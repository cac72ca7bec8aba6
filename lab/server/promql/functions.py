"""Functions whose arguments are not range vectors, for all steps at once.

``INSTANT_FUNCTIONS`` maps a function name to ``impl(ctx, call, args)``; the
evaluator has already evaluated ``args`` (``call.args`` holds the AST, which
``absent`` needs). Math functions map the whole (series x steps) array at once
and mark the results for delayed ``__name__`` removal, as upstream 3.x does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab.model.labels import Labels
from lab.server.promql.context import EvalContext
from lab.server.promql.function_args import FunctionImpl, scalar_arg, vector_arg
from lab.server.promql.functions_labels import LABEL_FUNCTIONS
from lab.server.promql.histogram_functions import HISTOGRAM_FUNCTIONS
from lab.server.promql.parser.ast import Call
from lab.server.promql.values import F64, InstantVector, Scalar, Value

__all__ = ["INSTANT_FUNCTIONS", "FunctionImpl"]


def _mapped(vec: InstantVector, values: F64) -> InstantVector:
    """``vec`` with new values; the name is marked for removal."""
    return InstantVector(
        list(vec.labels),
        np.where(vec.present, values, 0.0),
        vec.present.copy(),
        np.ones(vec.num_series, dtype=bool),
    )


def _math(fn: Callable[[F64], F64]) -> FunctionImpl:
    def impl(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
        vec = vector_arg(args, 0)
        with np.errstate(all="ignore"):
            return _mapped(vec, np.asarray(fn(vec.values), dtype=np.float64))

    return impl


def _deg(v: F64) -> F64:
    return v * 180 / np.pi  # upstream's operation order: v*180/Pi


def _rad(v: F64) -> F64:
    return v * np.pi / 180


def _sgn(v: F64) -> F64:
    return np.where(v < 0, -1.0, np.where(v > 0, 1.0, v))


def _round(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    to_nearest = scalar_arg(ctx, args, 1) if len(args) > 1 else np.ones(ctx.num_steps)
    with np.errstate(all="ignore"):
        inverse = 1.0 / to_nearest[None, :]
        return _mapped(vec, np.floor(vec.values * inverse + 0.5) / inverse)


def _clamp(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    lo = scalar_arg(ctx, args, 1)[None, :]
    hi = scalar_arg(ctx, args, 2)[None, :]
    # Go's math.Max/Min propagate NaN, as np.maximum/np.minimum do.
    out = _mapped(vec, np.maximum(lo, np.minimum(hi, vec.values)))
    # Upstream returns nothing at a step where max < min.
    out.present &= ~(hi < lo)
    return out


def _clamp_min(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    return _mapped(vec, np.maximum(scalar_arg(ctx, args, 1)[None, :], vec.values))


def _clamp_max(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    return _mapped(vec, np.minimum(scalar_arg(ctx, args, 1)[None, :], vec.values))


def _scalar(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    steps = ctx.num_steps
    if not vec.num_series:
        return Scalar(np.full(steps, np.nan))
    one = vec.present.sum(axis=0) == 1
    # The single present series' value (argmax finds the only True row).
    values = vec.values[np.argmax(vec.present, axis=0), np.arange(steps)]
    return Scalar(np.where(one, values, np.nan))


def _vector(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    s = scalar_arg(ctx, args, 0)
    return InstantVector(
        [Labels.from_sorted(())],
        np.asarray(s, dtype=np.float64)[None, :].copy(),
        np.ones((1, s.shape[0]), dtype=bool),
    )


def _time(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    return Scalar(ctx.times.astype(np.float64) / 1000.0)


def _pi(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    return Scalar(np.full(ctx.num_steps, np.pi))


def _const(get: Callable[[EvalContext], float]) -> FunctionImpl:
    def impl(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
        return Scalar(np.full(ctx.num_steps, get(ctx)))

    return impl


def _step_s(ctx: EvalContext) -> float:
    return ctx.step_ms / 1000.0 if ctx.end_ms > ctx.start_ms else 0.0


def _min_max_of(use_min: bool) -> FunctionImpl:
    def impl(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
        a, b = scalar_arg(ctx, args, 0), scalar_arg(ctx, args, 1)
        return Scalar(np.minimum(a, b) if use_min else np.maximum(a, b))

    return impl


# --- date functions ---------------------------------------------------------------------


def _date(part: Callable[[np.ndarray], np.ndarray]) -> FunctionImpl:
    """``f(v=vector(time()))``: a calendar field of Unix seconds, in UTC."""

    def impl(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
        if not args:
            secs = ctx.times // 1000
            return InstantVector(
                [Labels.from_sorted(())],
                part(secs.astype(np.int64)).astype(np.float64)[None, :],
                np.ones((1, secs.shape[0]), dtype=bool),
            )
        vec = vector_arg(args, 0)
        finite = np.isfinite(vec.values)
        # Go's int64(f) truncates toward zero.
        secs = np.trunc(np.where(finite, vec.values, 0.0)).astype(np.int64)
        out = _mapped(vec, part(secs).astype(np.float64))
        out.values = np.where(finite, out.values, np.nan)
        return out

    return impl


def _days(secs: np.ndarray) -> np.ndarray:
    return secs // 86400


def _year(secs: np.ndarray) -> np.ndarray:
    return secs.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970


def _month_index(secs: np.ndarray) -> np.ndarray:
    return secs.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def _month(secs: np.ndarray) -> np.ndarray:
    return _month_index(secs) % 12 + 1


def _day_of_month(secs: np.ndarray) -> np.ndarray:
    start = _month_index(secs).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return _days(secs) - start + 1


def _day_of_year(secs: np.ndarray) -> np.ndarray:
    year = secs.astype("datetime64[s]").astype("datetime64[Y]")
    return _days(secs) - year.astype("datetime64[D]").astype(np.int64) + 1


def _day_of_week(secs: np.ndarray) -> np.ndarray:
    return (_days(secs) + 4) % 7  # 1970-01-01 was a Thursday


def _days_in_month(secs: np.ndarray) -> np.ndarray:
    m = _month_index(secs)
    start = m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    end = (m + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return end - start


def _hour(secs: np.ndarray) -> np.ndarray:
    return (secs // 3600) % 24


def _minute(secs: np.ndarray) -> np.ndarray:
    return (secs // 60) % 60


def _build() -> dict[str, FunctionImpl]:
    table: dict[str, FunctionImpl] = {
        "abs": _math(np.abs),
        "ceil": _math(np.ceil),
        "floor": _math(np.floor),
        "sqrt": _math(np.sqrt),
        "exp": _math(np.exp),
        "ln": _math(np.log),
        "log2": _math(np.log2),
        "log10": _math(np.log10),
        "sgn": _math(_sgn),
        "sin": _math(np.sin),
        "cos": _math(np.cos),
        "tan": _math(np.tan),
        "asin": _math(np.arcsin),
        "acos": _math(np.arccos),
        "atan": _math(np.arctan),
        "sinh": _math(np.sinh),
        "cosh": _math(np.cosh),
        "tanh": _math(np.tanh),
        "asinh": _math(np.arcsinh),
        "acosh": _math(np.arccosh),
        "atanh": _math(np.arctanh),
        "deg": _math(_deg),
        "rad": _math(_rad),
        "round": _round,
        "clamp": _clamp,
        "clamp_min": _clamp_min,
        "clamp_max": _clamp_max,
        "scalar": _scalar,
        "vector": _vector,
        "time": _time,
        "pi": _pi,
        "step": _const(_step_s),
        "range": _const(lambda c: (c.end_ms - c.start_ms) / 1000.0),
        "start": _const(lambda c: c.start_ms / 1000.0),
        "end": _const(lambda c: c.end_ms / 1000.0),
        "min_of": _min_max_of(True),
        "max_of": _min_max_of(False),
        "year": _date(_year),
        "month": _date(_month),
        "day_of_month": _date(_day_of_month),
        "day_of_year": _date(_day_of_year),
        "day_of_week": _date(_day_of_week),
        "days_in_month": _date(_days_in_month),
        "hour": _date(_hour),
        "minute": _date(_minute),
    }
    table.update(LABEL_FUNCTIONS)
    table.update(HISTOGRAM_FUNCTIONS)
    return table


INSTANT_FUNCTIONS: dict[str, FunctionImpl] = _build()
