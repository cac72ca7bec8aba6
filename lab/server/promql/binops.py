"""Binary operators for all steps at once: arithmetic, comparisons, set operators.

Vector matching works on *signatures*: every series gets a signature id from its
``on(...)``/``ignoring(...)`` labels once; per step, a (signatures x steps)
table tells which right-hand series carries each signature. Matching a left
series is then one fancy-indexing lookup for all steps.

Name handling follows Prometheus 3.x delayed removal: arithmetic, and
comparisons with ``bool``, only *mark* results with ``drop_name``; the engine
removes the names at the end.
"""

from __future__ import annotations

import numpy as np

from lab.server.promql.binops_match import apply_op, match_vectors, signature
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.opsupport import group_ids, merge_same_labels
from lab.server.promql.parser.ast import SET_OPS, BinaryExpr, VectorMatching
from lab.server.promql.values import F64, InstantVector, Scalar, Value


def binary_op(ctx: EvalContext, node: BinaryExpr, lhs: Value, rhs: Value) -> Value:
    """Evaluate ``node`` given its evaluated operands."""
    op = node.op
    if isinstance(lhs, Scalar) and isinstance(rhs, Scalar):
        return _scalar_scalar(node, lhs, rhs)
    if isinstance(lhs, InstantVector) and isinstance(rhs, Scalar):
        return _vector_scalar(node, lhs, rhs.values, swap=False)
    if isinstance(lhs, Scalar) and isinstance(rhs, InstantVector):
        return _vector_scalar(node, rhs, lhs.values, swap=True)
    if isinstance(lhs, InstantVector) and isinstance(rhs, InstantVector):
        matching = node.matching or VectorMatching()
        if op in SET_OPS:
            return _set_op(op, lhs, rhs, matching)
        return match_vectors(node, matching, lhs, rhs)
    raise EvalError(f"binary operator {op!r} not supported between these operand types")


def _scalar_scalar(node: BinaryExpr, lhs: Scalar, rhs: Scalar) -> Scalar:
    value, keep = apply_op(node.op, lhs.values, rhs.values)
    if keep is not None:
        value = keep.astype(np.float64)
    return Scalar(np.asarray(value, dtype=np.float64))


def _vector_scalar(node: BinaryExpr, vec: InstantVector, scalar: F64, swap: bool) -> InstantVector:
    if node.op in SET_OPS:
        raise EvalError(f"set operator {node.op!r} not allowed in binary scalar expression")
    s = np.broadcast_to(scalar[None, :], vec.values.shape) if vec.num_series else scalar[None, :]
    lv, rv = (s, vec.values) if swap else (vec.values, s)
    value, keep = apply_op(node.op, lv, rv)
    if keep is None:
        drop = np.ones(vec.num_series, dtype=bool)
        return InstantVector(list(vec.labels), np.asarray(value), vec.present.copy(), drop)
    # A comparison always yields the vector's own sample value.
    if node.return_bool:
        out = np.where(keep, 1.0, 0.0)
        drop = np.ones(vec.num_series, dtype=bool)
        return InstantVector(list(vec.labels), out, vec.present.copy(), drop)
    present = vec.present & keep
    rows = np.flatnonzero(present.any(axis=1))
    return InstantVector(
        [vec.labels[int(i)] for i in rows],
        vec.values[rows].copy(),
        present[rows],
        vec.drop_name[rows].copy(),
    )


def _set_op(
    op: str, lhs: InstantVector, rhs: InstantVector, matching: VectorMatching
) -> InstantVector:
    steps = lhs.values.shape[1] if lhs.num_series else rhs.values.shape[1]
    keys = [signature(lbl, matching) for lbl in lhs.labels] + [
        signature(lbl, matching) for lbl in rhs.labels
    ]
    ids, uniques = group_ids(keys)
    lsig, rsig = ids[: lhs.num_series], ids[lhs.num_series :]
    if op == "or":
        lhs_has = np.zeros((len(uniques), steps), dtype=bool)
        rows, cols = np.nonzero(lhs.present)
        lhs_has[lsig[rows], cols] = True
        r_present = rhs.present & ~lhs_has[rsig]
        labels = list(lhs.labels) + list(rhs.labels)
        values = np.concatenate([lhs.values, rhs.values]) if labels else lhs.values
        present = np.concatenate([lhs.present, r_present]) if labels else lhs.present
        drop = np.concatenate([lhs.drop_name, rhs.drop_name])
        keep = np.flatnonzero(present.any(axis=1))
        return merge_same_labels(
            [labels[int(i)] for i in keep], values[keep], present[keep], drop[keep]
        )
    rhs_has = np.zeros((len(uniques), steps), dtype=bool)
    rows, cols = np.nonzero(rhs.present)
    rhs_has[rsig[rows], cols] = True
    if op == "and":
        present = lhs.present & rhs_has[lsig]
    elif op == "unless":
        present = lhs.present & ~rhs_has[lsig]
    else:
        raise EvalError(f"unknown set operator {op!r}")
    keep = np.flatnonzero(present.any(axis=1))
    return InstantVector(
        [lhs.labels[int(i)] for i in keep],
        lhs.values[keep].copy(),
        present[keep],
        lhs.drop_name[keep].copy(),
    )
