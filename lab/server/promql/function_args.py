"""The function-implementation signature and argument accessors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import Call
from lab.server.promql.values import F64, InstantVector, Scalar, StringValue, Value

FunctionImpl = Callable[[EvalContext, Call, list[Value]], Value]


def vector_arg(args: list[Value], i: int) -> InstantVector:
    val = args[i]
    if not isinstance(val, InstantVector):
        raise EvalError(f"expected an instant vector as argument {i + 1}")
    return val


def scalar_arg(ctx: EvalContext, args: list[Value], i: int) -> F64:
    """A scalar argument's (T,) values (a one-step value is broadcast)."""
    val = args[i]
    if not isinstance(val, Scalar):
        raise EvalError(f"expected a scalar as argument {i + 1}")
    vals = np.asarray(val.values, dtype=np.float64)
    steps = ctx.num_steps
    if vals.shape[0] != steps and vals.shape[0] == 1:
        vals = np.broadcast_to(vals, (steps,))
    return vals


def string_arg(args: list[Value], i: int) -> str:
    val = args[i]
    if not isinstance(val, StringValue):
        raise EvalError(f"expected a string as argument {i + 1}")
    return val.value
