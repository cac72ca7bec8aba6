"""Label and ordering functions: ``label_replace``, ``label_join``, ``sort*``, ``absent``.

These work per *series* (label sets), never per step: a label rewrite is done
once per input series and applies to all of its steps.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from lab.model.errors import RegexError
from lab.model.labels import METRIC_NAME, Labels
from lab.model.matcher import MatchType
from lab.model.re2 import compile_anchored
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.function_args import FunctionImpl, string_arg, vector_arg
from lab.server.promql.natsort import natural_less
from lab.server.promql.opsupport import is_valid_label_name, take_rows, warn
from lab.server.promql.parser.ast import Call, Expr, MatrixSelector, ParenExpr, VectorSelector
from lab.server.promql.values import BOOL, InstantVector, Value

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def expand_template(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.ExpandString``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``.

    As in Go, ``$name`` takes the longest run of word characters (``$1x`` means
    the group named ``1x``), and unknown groups expand to nothing."""
    out: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        c = template[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        if i + 1 < n and template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        name, end = _template_name(template, i + 1)
        if name is None:
            out.append("$")
            i += 1
            continue
        out.append(_group(match, name))
        i = end
    return "".join(out)


def _template_name(template: str, start: int) -> tuple[str | None, int]:
    if start < len(template) and template[start] == "{":
        close = template.find("}", start + 1)
        name = template[start + 1 : close] if close >= 0 else ""
        if close < 0 or not name or not all(ch in _NAME_CHARS for ch in name):
            return None, start
        return name, close + 1
    end = start
    while end < len(template) and template[end] in _NAME_CHARS:
        end += 1
    if end == start:
        return None, start
    return template[start:end], end


def _group(match: re.Match[str], name: str) -> str:
    if name.isdigit():
        idx = int(name)
        if idx > (match.re.groups):
            return ""
        return match.group(idx) or ""
    if name in match.re.groupindex:
        return match.group(name) or ""
    return ""


def _relabelled(
    vec: InstantVector, new_labels: list[Labels], dst: str, changed: list[bool]
) -> InstantVector:
    drop = vec.drop_name.copy()
    if dst == METRIC_NAME:
        # Writing the name explicitly keeps it (delayed name removal).
        drop &= ~np.asarray(changed, dtype=bool)
    return InstantVector(new_labels, vec.values.copy(), vec.present.copy(), drop)


def _label_replace(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    dst, repl, src, regex = (string_arg(args, i) for i in range(1, 5))
    try:
        pattern = compile_anchored(regex)
    except (RegexError, re.error) as exc:
        raise EvalError(f"invalid regular expression in label_replace(): {regex}") from exc
    if not is_valid_label_name(dst):
        raise EvalError(f"invalid destination label name in label_replace(): {dst}")
    out: list[Labels] = []
    changed: list[bool] = []
    for lbl in vec.labels:
        m = pattern.fullmatch(lbl.get(src))
        if m is None:
            out.append(lbl)
            changed.append(False)
            continue
        out.append(lbl.set(dst, expand_template(repl, m)))
        changed.append(True)
    return _relabelled(vec, out, dst, changed)


def _label_join(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    dst, sep = string_arg(args, 1), string_arg(args, 2)
    srcs = [string_arg(args, i) for i in range(3, len(args))]
    for s in srcs:
        if not is_valid_label_name(s):
            raise EvalError(f"invalid source label name in label_join(): {s}")
    if not is_valid_label_name(dst):
        raise EvalError(f"invalid destination label name in label_join(): {dst}")
    out = [lbl.set(dst, sep.join(lbl.get(s) for s in srcs)) for lbl in vec.labels]
    return _relabelled(vec, out, dst, [True] * len(out))


# --- ordering -----------------------------------------------------------------------------


def _warn_if_range(ctx: EvalContext, call: Call) -> bool:
    if ctx.end_ms != ctx.start_ms:
        warn(
            ctx,
            call.pos,
            "sort is ineffective for range queries since results are always ordered by labels",
        )
        return True
    return False


def _sort_by_value(descending: bool) -> FunctionImpl:
    def impl(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
        vec = vector_arg(args, 0)
        if _warn_if_range(ctx, call) or vec.num_series < 2:
            return vec
        # Only meaningful for one step; NaN goes last in both directions.
        v = vec.values[:, 0]
        absent = ~vec.present[:, 0]
        nan = np.isnan(v)
        key = np.where(nan, 0.0, -v if descending else v)
        order = np.lexsort((key, nan, absent))
        return take_rows(vec, order)

    return impl


def _label_order(a: Labels, b: Labels, names: list[str]) -> int:
    for name in names:
        va, vb = a.get(name), b.get(name)
        if va == vb:
            continue
        return -1 if natural_less(va, vb) else 1
    return -1 if a < b else (1 if a > b else 0)


def _sort_by_label(descending: bool) -> FunctionImpl:
    def impl(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
        vec = vector_arg(args, 0)
        names = [string_arg(args, i) for i in range(1, len(args))]
        if _warn_if_range(ctx, call) or vec.num_series < 2:
            return vec
        sign = -1 if descending else 1

        def cmp(i: int, j: int) -> int:
            return sign * _label_order(vec.labels[i], vec.labels[j], names)

        order = sorted(range(vec.num_series), key=functools.cmp_to_key(cmp))
        return take_rows(vec, np.asarray(order, dtype=np.int64))

    return impl


# --- absent -------------------------------------------------------------------------------


def absent_labels(expr: Expr) -> Labels:
    """Labels for ``absent(expr)``: the selector's equality matchers, except for
    label names matched more than once (upstream's historic behaviour)."""
    while isinstance(expr, ParenExpr):
        expr = expr.expr
    if isinstance(expr, MatrixSelector):
        expr = expr.vector
    if not isinstance(expr, VectorSelector):
        return Labels.from_sorted(())
    out: dict[str, str] = {}
    has: set[str] = set()
    for m in expr.matchers:
        if m.name == METRIC_NAME:
            continue
        if m.type is MatchType.EQUAL and m.name not in has:
            out[m.name] = m.value
            has.add(m.name)
        else:
            out.pop(m.name, None)
    return Labels.from_pairs(out.items())


def _absent(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    vec = vector_arg(args, 0)
    steps = ctx.num_steps
    missing: BOOL = np.ones(steps, dtype=bool)
    if vec.num_series:
        missing = np.asarray(~vec.present.any(axis=0), dtype=bool)
    if not missing.any():
        return InstantVector.empty(steps)
    return InstantVector(
        [absent_labels(call.args[0])],
        np.ones((1, steps)),
        missing[None, :].copy(),
    )


LABEL_FUNCTIONS: dict[str, FunctionImpl] = {
    "label_replace": _label_replace,
    "label_join": _label_join,
    "sort": _sort_by_value(False),
    "sort_desc": _sort_by_value(True),
    "sort_by_label": _sort_by_label(False),
    "sort_by_label_desc": _sort_by_label(True),
    "absent": _absent,
}
