"""Vectorised operators against a per-step reference (upstream's algorithms written
sample by sample), on random vectors whose series come and go between steps."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.model.labels import METRIC_NAME, Labels
from lab.server.promql.aggregations import aggregate
from lab.server.promql.binops import binary_op
from lab.server.promql.binops_match import result_metric, signature
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import (
    AggregateExpr,
    BinaryExpr,
    Cardinality,
    NumberLiteral,
    VectorMatching,
)
from lab.server.promql.values import InstantVector
from tests.lab.server.promql.promql_vectors import ctx

E = NumberLiteral(0.0)
STEPS = 3
VALUES = st.sampled_from([0.0, 1.0, 2.0, -1.5, math.nan, math.inf])


@st.composite
def vectors(draw: st.DrawFn) -> InstantVector:
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["m", "n"]),
                st.sampled_from(["x", "y", ""]),
                st.sampled_from(["1", "2"]),
            ),
            max_size=5,
            unique=True,
        )
    )
    labels = [Labels.of({METRIC_NAME: n, "a": a, "b": b}) for n, a, b in keys]
    s = len(labels)
    values = np.array(draw(st.lists(VALUES, min_size=s * STEPS, max_size=s * STEPS))).reshape(
        s, STEPS
    )
    present = np.array(
        draw(st.lists(st.booleans(), min_size=s * STEPS, max_size=s * STEPS)), dtype=bool
    ).reshape(s, STEPS)
    return InstantVector(labels, values, present)


def step_samples(v: InstantVector, t: int) -> list[tuple[Labels, float, bool]]:
    return [
        (v.labels[i], float(v.values[i, t]), bool(v.drop_name[i]))
        for i in range(v.num_series)
        if v.present[i, t]
    ]


def per_step(v: InstantVector) -> list[dict[Labels, tuple[float, bool]]]:
    return [
        {
            v.labels[i]: (float(v.values[i, t]), bool(v.drop_name[i]))
            for i in range(v.num_series)
            if v.present[i, t]
        }
        for t in range(v.values.shape[1])
    ]


def same(
    a: list[dict[Labels, tuple[float, bool]]], b: list[dict[Labels, tuple[float, bool]]]
) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.keys() != y.keys():
            return False
        for k in x:
            (va, da), (vb, db) = x[k], y[k]
            if da != db or not (va == vb or (math.isnan(va) and math.isnan(vb))):
                return False
    return True


# --- reference binary operator (upstream's VectorBinop, one step) ---------------------------


def _apply(op: str, a: float, b: float) -> tuple[float, bool]:
    with np.errstate(all="ignore"):
        if op == "+":
            return a + b, True
        if op == "/":
            return float(np.divide(a, b)), True
        if op == ">":
            return a, a > b
        if op == "==":
            return a, a == b
    raise AssertionError(op)


def ref_binop(op, lhs, rhs, matching, return_bool):
    card = matching.card
    if not lhs or not rhs:
        return {}
    if card is Cardinality.ONE_TO_MANY:
        lhs, rhs = rhs, lhs
    right_sigs: dict[Labels, tuple[Labels, float, bool]] = {}
    for rs in rhs:
        sig = signature(rs[0], matching)
        if sig in right_sigs:
            raise EvalError("duplicate")
        right_sigs[sig] = rs
    matched: dict[Labels, set[Labels]] = {}
    out: dict[Labels, tuple[float, bool]] = {}
    for ls in lhs:
        sig = signature(ls[0], matching)
        if sig not in right_sigs:
            continue
        rs = right_sigs[sig]
        fl, fr = ls[1], rs[1]
        if card is Cardinality.ONE_TO_MANY:
            fl, fr = fr, fl
        value, keep = _apply(op, fl, fr)
        metric = (
            result_metric(ls[0], rs[0], matching)
            if (card is not Cardinality.ONE_TO_ONE or matching.on or matching.labels)
            else ls[0]
        )
        if card is Cardinality.ONE_TO_ONE:
            if sig in matched:
                raise EvalError("multiple matches")
            matched[sig] = set()
        else:
            if metric in matched.setdefault(sig, set()):
                raise EvalError("grouping labels")
            matched[sig].add(metric)
        if return_bool:
            value, keep = (1.0 if keep else 0.0), True
        if not keep:
            continue
        if metric in out:
            raise EvalError("same labelset")
        arith = op in ("+", "/")
        out[metric] = (value, bool(arith or return_bool or ls[2]))
    return out


MATCHINGS = st.sampled_from(
    [
        VectorMatching(),
        VectorMatching(Cardinality.ONE_TO_ONE, True, ("a",)),
        VectorMatching(Cardinality.ONE_TO_ONE, False, ("b",)),
        VectorMatching(Cardinality.MANY_TO_ONE, True, ("a",), ("b",)),
        VectorMatching(Cardinality.ONE_TO_MANY, True, ("b",), ("a",)),
        VectorMatching(Cardinality.MANY_TO_ONE, False, ("b",)),
    ]
)


@settings(max_examples=300, deadline=None)
@given(vectors(), vectors(), st.sampled_from(["+", "/", ">", "=="]), MATCHINGS, st.booleans())
def test_binop_matches_per_step_reference(lhs, rhs, op, matching, return_bool):
    return_bool = return_bool and op in (">", "==")
    node = BinaryExpr(op, E, E, return_bool, matching)
    expected = []
    ref_error = False
    try:
        for t in range(STEPS):
            expected.append(
                ref_binop(op, step_samples(lhs, t), step_samples(rhs, t), matching, return_bool)
            )
    except EvalError:
        ref_error = True
    try:
        got = binary_op(ctx(STEPS), node, lhs, rhs)
    except EvalError:
        assert ref_error
        return
    assert not ref_error
    assert isinstance(got, InstantVector)
    assert same(per_step(got), expected)


# --- set operators -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    vectors(),
    vectors(),
    st.sampled_from(["and", "or", "unless"]),
    st.sampled_from([(), ("a",)]),
    st.booleans(),
)
def test_set_ops_match_per_step_reference(lhs, rhs, op, labels, on):
    matching = VectorMatching(Cardinality.MANY_TO_MANY, on, labels)
    node = BinaryExpr(op, E, E, False, matching)
    got = binary_op(ctx(STEPS), node, lhs, rhs)
    assert isinstance(got, InstantVector)
    expected = []
    for t in range(STEPS):
        ls, rs = step_samples(lhs, t), step_samples(rhs, t)
        rsigs = {signature(r[0], matching) for r in rs}
        lsigs = {signature(x[0], matching) for x in ls}
        if op == "and":
            out = [x for x in ls if signature(x[0], matching) in rsigs]
        elif op == "unless":
            out = [x for x in ls if signature(x[0], matching) not in rsigs]
        else:
            out = ls + [r for r in rs if signature(r[0], matching) not in lsigs]
        expected.append({x[0]: (x[1], x[2]) for x in out})
    assert same(per_step(got), expected)


# --- aggregations ---------------------------------------------------------------------------


def ref_aggregate(op, samples, by):
    groups: dict[Labels, list[float]] = {}
    for lbl, v, _ in samples:
        groups.setdefault(lbl.only(*by), []).append(v)
    out = {}
    for key, vals in groups.items():
        if op == "sum":
            s, c = 0.0, 0.0
            for v in vals:  # Neumaier, as upstream
                t = s + v
                if math.isinf(t):
                    c = 0.0
                elif abs(s) >= abs(v):
                    c += (s - t) + v
                else:
                    c += (v - t) + s
                s = t
            r = s + c
        elif op == "count":
            r = float(len(vals))
        elif op == "max":
            r = vals[0]
            for v in vals[1:]:
                if r < v or math.isnan(r):
                    r = v
        else:
            raise AssertionError(op)
        out[key] = (r, False)
    return out


@settings(max_examples=200, deadline=None)
@given(
    vectors(), st.sampled_from(["sum", "count", "max"]), st.sampled_from([(), ("a",), ("a", "b")])
)
def test_aggregations_match_per_step_reference(v, op, by):
    node = AggregateExpr(op, E, None, by)
    got = aggregate(ctx(STEPS), node, v, None)
    expected = [ref_aggregate(op, step_samples(v, t), by) for t in range(STEPS)]
    with np.errstate(all="ignore"):
        assert same(per_step(got), expected)
