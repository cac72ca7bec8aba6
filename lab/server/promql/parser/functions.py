"""PromQL function signatures (names, argument types, return types).

Only the *signatures* live here: the parser uses them to type-check calls and
``Call.type`` to report a call's value type. What each function computes is
the engine's business.

The table follows Prometheus 3.14 (``promql/parser/functions.go``):
``variadic`` is 0 for a fixed arity, N > 0 when up to N more arguments of the
last declared type may follow (the last declared argument is then optional),
and -1 when any number may follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.server.promql.parser.ast import ValueType

_S = ValueType.SCALAR
_V = ValueType.VECTOR
_M = ValueType.MATRIX
_STR = ValueType.STRING


@dataclass(frozen=True, slots=True)
class FunctionSignature:
    name: str
    arg_types: tuple[ValueType, ...]
    return_type: ValueType
    variadic: int = 0
    #: needs --enable-feature=promql-experimental-functions upstream (we always allow)
    experimental: bool = False

    @property
    def min_args(self) -> int:
        return len(self.arg_types) - (1 if self.variadic else 0)

    @property
    def max_args(self) -> int | None:
        """None when unbounded."""
        if self.variadic < 0:
            return None
        return len(self.arg_types) - (1 if self.variadic else 0) + self.variadic

    def arg_type(self, i: int) -> ValueType:
        """The expected type of argument ``i`` (variadic ones repeat the last type)."""
        return self.arg_types[min(i, len(self.arg_types) - 1)]


def _f(
    name: str,
    args: tuple[ValueType, ...],
    ret: ValueType = _V,
    variadic: int = 0,
    experimental: bool = False,
) -> tuple[str, FunctionSignature]:
    return name, FunctionSignature(name, args, ret, variadic, experimental)


FUNCTIONS: dict[str, FunctionSignature] = dict(
    [
        _f("abs", (_V,)),
        _f("absent", (_V,)),
        _f("absent_over_time", (_M,)),
        _f("acos", (_V,)),
        _f("acosh", (_V,)),
        _f("asin", (_V,)),
        _f("asinh", (_V,)),
        _f("atan", (_V,)),
        _f("atanh", (_V,)),
        _f("avg_over_time", (_M,)),
        _f("ceil", (_V,)),
        _f("changes", (_M,)),
        _f("clamp", (_V, _S, _S)),
        _f("clamp_max", (_V, _S)),
        _f("clamp_min", (_V, _S)),
        _f("cos", (_V,)),
        _f("cosh", (_V,)),
        _f("count_over_time", (_M,)),
        _f("days_in_month", (_V,), variadic=1),
        _f("day_of_month", (_V,), variadic=1),
        _f("day_of_week", (_V,), variadic=1),
        _f("day_of_year", (_V,), variadic=1),
        _f("deg", (_V,)),
        _f("delta", (_M,)),
        _f("deriv", (_M,)),
        _f("double_exponential_smoothing", (_M, _S, _S), experimental=True),
        _f("end", (), _S, experimental=True),
        _f("exp", (_V,)),
        _f("first_over_time", (_M,)),
        _f("floor", (_V,)),
        _f("histogram_avg", (_V,)),
        _f("histogram_count", (_V,)),
        _f("histogram_fraction", (_S, _S, _V)),
        _f("histogram_quantile", (_S, _V)),
        _f("histogram_quantiles", (_V, _STR, _S, _S), variadic=9, experimental=True),
        _f("histogram_stddev", (_V,)),
        _f("histogram_stdvar", (_V,)),
        _f("histogram_sum", (_V,)),
        _f("hour", (_V,), variadic=1),
        _f("idelta", (_M,)),
        _f("increase", (_M,)),
        _f("info", (_V, _V), variadic=1, experimental=True),
        _f("irate", (_M,)),
        _f("label_join", (_V, _STR, _STR, _STR), variadic=-1),
        _f("label_replace", (_V, _STR, _STR, _STR, _STR)),
        _f("last_over_time", (_M,)),
        _f("ln", (_V,)),
        _f("log10", (_V,)),
        _f("log2", (_V,)),
        _f("mad_over_time", (_M,), experimental=True),
        _f("max_of", (_S, _S), _S, experimental=True),
        _f("max_over_time", (_M,)),
        _f("min_of", (_S, _S), _S, experimental=True),
        _f("min_over_time", (_M,)),
        _f("minute", (_V,), variadic=1),
        _f("month", (_V,), variadic=1),
        _f("pi", (), _S),
        _f("predict_linear", (_M, _S)),
        _f("present_over_time", (_M,)),
        _f("quantile_over_time", (_S, _M)),
        _f("rad", (_V,)),
        _f("range", (), _S, experimental=True),
        _f("rate", (_M,)),
        _f("resets", (_M,)),
        _f("round", (_V, _S), variadic=1),
        _f("scalar", (_V,), _S),
        _f("sgn", (_V,)),
        _f("sin", (_V,)),
        _f("sinh", (_V,)),
        _f("sort", (_V,)),
        _f("sort_by_label", (_V, _STR), variadic=-1, experimental=True),
        _f("sort_by_label_desc", (_V, _STR), variadic=-1, experimental=True),
        _f("sort_desc", (_V,)),
        _f("sqrt", (_V,)),
        _f("start", (), _S, experimental=True),
        _f("start_timestamp", (_V,), experimental=True),
        _f("step", (), _S, experimental=True),
        _f("stddev_over_time", (_M,)),
        _f("stdvar_over_time", (_M,)),
        _f("sum_over_time", (_M,)),
        _f("tan", (_V,)),
        _f("tanh", (_V,)),
        _f("time", (), _S),
        _f("timestamp", (_V,)),
        _f("ts_of_first_over_time", (_M,), experimental=True),
        _f("ts_of_last_over_time", (_M,), experimental=True),
        _f("ts_of_max_over_time", (_M,), experimental=True),
        _f("ts_of_min_over_time", (_M,), experimental=True),
        _f("vector", (_S,)),
        _f("year", (_V,), variadic=1),
    ]
)

#: Functions the ``anchored`` / ``smoothed`` range-selector modifiers may feed
#: (engine-time check upstream: ``... modifier can only be used with: ...``).
ANCHORED_SAFE_FUNCTIONS = frozenset({"changes", "delta", "increase", "rate", "resets"})
SMOOTHED_SAFE_FUNCTIONS = frozenset({"delta", "increase", "rate"})
