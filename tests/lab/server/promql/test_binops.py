"""Binary operators on hand-built vectors (cases taken from upstream's corpus)."""

from __future__ import annotations

import math

import pytest

from lab.server.promql.binops import binary_op
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import BinaryExpr, Cardinality, NumberLiteral, VectorMatching
from lab.server.promql.values import InstantVector, Scalar
from tests.lab.server.promql.promql_vectors import as_dict, ctx, norm, scalar, vec

E = NumberLiteral(0.0)


def binop(
    op,
    lhs,
    rhs,
    *,
    bool_=False,
    card=Cardinality.ONE_TO_ONE,
    on=None,
    ignoring=(),
    include=(),
    fill_left=None,
    fill_right=None,
):
    labels = tuple(on) if on is not None else tuple(ignoring)
    if op in ("and", "or", "unless"):
        card = Cardinality.MANY_TO_MANY
    matching = VectorMatching(card, on is not None, labels, tuple(include))
    node = BinaryExpr(op, E, E, bool_, matching, fill_left, fill_right)
    steps = lhs.values.shape[-1] if not isinstance(lhs, InstantVector) or lhs.num_series else 1
    return binary_op(ctx(steps), node, lhs, rhs)


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [
        ("+", 1, 2, 3),
        ("%", 1000, 3, 1),
        ("%", -7, 3, -1),
        ("%", 0, 0, math.nan),
        ("/", 1, 0, math.inf),
        ("/", 0, 0, math.nan),
        ("^", 2, 3, 8),
        ("^", math.nan, 0, 1),
        ("atan2", 10, 20, 0.4636476090008061),
        ("==", 1, 1, 1),
        ("==", 0, 1, 0),
    ],
)
def test_scalar_scalar(op, a, b, expected):
    got = binop(op, scalar(a), scalar(b), bool_=True)
    assert isinstance(got, Scalar)
    v = float(got.values[0])
    assert (math.isnan(v) and math.isnan(expected)) or v == pytest.approx(expected)


def test_vector_scalar_names_and_filters():
    v = vec({'m{i="a"}': [1, 2], 'm{i="b"}': [3, None]})
    assert as_dict(binop("*", v, scalar(2, 2))) == {
        '~m{i="a"}': [2.0, 4.0],
        '~m{i="b"}': [6.0, None],
    }
    assert as_dict(binop(">", v, scalar(1.5, 1.5))) == {
        'm{i="a"}': [None, 2.0],
        'm{i="b"}': [3.0, None],
    }
    # The scalar on the left of a comparison: the vector's value is kept.
    assert as_dict(binop("<", scalar(1.5, 1.5), v)) == {
        'm{i="a"}': [None, 2.0],
        'm{i="b"}': [3.0, None],
    }
    assert as_dict(binop("==", v, scalar(3, 3), bool_=True)) == {
        '~m{i="a"}': [0.0, 0.0],
        '~m{i="b"}': [1.0, None],
    }
    assert norm(as_dict(binop("==", scalar(math.nan), vec({"x": [math.nan]}), bool_=True))) == {
        "~x": [0.0]
    }


def test_one_to_one_matching():
    a = vec({'a{l="x",g="c"}': [300], 'a{l="y",g="c"}': [700]})
    b = vec({'b{l="x",g="p"}': [100], 'b{l="y",g="p"}': [500]})
    out = binop("/", a, b, ignoring=("g",))
    assert as_dict(out) == {'~a{l="x"}': [3.0], '~a{l="y"}': [1.4]}
    out = binop("/", a, b, on=("l",))
    assert as_dict(out) == {'~{l="x"}': [3.0], '~{l="y"}': [1.4]}
    out = binop(">", a, b, ignoring=("g",))
    assert as_dict(out) == {'a{l="x"}': [300.0], 'a{l="y"}': [700.0]}


def test_many_to_one_group_left_include():
    cpu = vec(
        {'c{i="a", mode="idle"}': [3], 'c{i="a", mode="user"}': [1], 'c{i="d",mode="idle"}': [8]}
    )
    role = vec({'r{i="a",role="p"}': [1]})
    out = binop("*", cpu, role, card=Cardinality.MANY_TO_ONE, on=("i",), include=("role",))
    assert as_dict(out) == {
        '~c{i="a", mode="idle", role="p"}': [3.0],
        '~c{i="a", mode="user", role="p"}': [1.0],
    }
    out = binop(
        "*",
        role,
        cpu.__class__(cpu.labels[:1], cpu.values[:1], cpu.present[:1]),
        card=Cardinality.ONE_TO_MANY,
        on=("i",),
        include=("role",),
    )
    assert as_dict(out) == {'~c{i="a", mode="idle", role="p"}': [3.0]}


def test_matching_errors():
    many = vec({'m{label="foo",job="t"}': [0], 'm{label="bar",job="t"}': [1]})
    one = vec({'o{job="t"}': [1]})
    with pytest.raises(EvalError, match="many-to-one matching must be explicit"):
        binop(">", many, one, on=("job",))
    dup = vec({'dup_metric{label="beta"}': [2], 'dup_metric{label="alpha"}': [1]})
    with pytest.raises(EvalError) as exc:
        binop(">", vec({"s": [3]}), dup, on=())
    assert str(exc.value) == (
        "found duplicate series for the match group {} on the right hand-side of the operation: "
        '[{__name__="dup_metric", label="alpha"}, {__name__="dup_metric", label="beta"}]'
        ";many-to-many matching not allowed: matching labels must be unique on one side"
    )


def test_set_operators():
    a = vec({'x{i="0"}': [1, 2], 'x{i="1"}': [3, 4]})
    b = vec({'y{i="0"}': [None, 5], 'y{i="2"}': [6, 6]})
    assert as_dict(binop("and", a, b)) == {'x{i="0"}': [None, 2.0]}
    assert as_dict(binop("unless", a, b)) == {'x{i="0"}': [1.0, None], 'x{i="1"}': [3.0, 4.0]}
    out = binop("or", a, b)
    assert as_dict(out) == {'x{i="0"}': [1.0, 2.0], 'x{i="1"}': [3.0, 4.0], 'y{i="2"}': [6.0, 6.0]}
    out = binop("or", vec({'m{i="0"}': [1.0, None]}), vec({'m{i="0"}': [7.0, 8.0]}), on=())
    assert as_dict(out) == {'m{i="0"}': [1.0, 8.0]}


def test_fill_modifiers():
    left = vec({'l{k="a"}': [10], 'l{k="b"}': [20], 'l{k="c"}': [30]})
    right = vec({'r{k="a"}': [100], 'r{k="b"}': [200], 'r{k="d"}': [400]})
    out = binop("+", left, right, fill_left=5, fill_right=7)
    assert as_dict(out) == {
        '~{k="a"}': [110.0],
        '~{k="b"}': [220.0],
        '~{k="c"}': [37.0],
        '~{k="d"}': [405.0],
    } or {k.replace("~l", "~"): v for k, v in as_dict(out).items()} == {
        '~{k="a"}': [110.0],
        '~{k="b"}': [220.0],
        '~{k="c"}': [37.0],
        '~{k="d"}': [405.0],
    }
    out = binop("!=", left, right, fill_left=30, fill_right=30)
    assert as_dict(out) == {'l{k="a"}': [10.0], 'l{k="b"}': [20.0], '{k="d"}': [30.0]}


def test_fill_intermittent_merges_rows():
    left = vec({'l{k="a"}': [1, None, 3]})
    right = vec({'r{k="a"}': [None, 200, None], 'r{k="c"}': [1000, None, None]})
    out = binop("+", left, right, fill_left=0, fill_right=0)
    # Rows that differ only by a to-be-dropped name merge when names are dropped.
    merged: dict[str, list[float | None]] = {}
    for key, values in as_dict(out).items():
        row = merged.setdefault("{" + key.split("{", 1)[1], [None] * 3)
        for i, x in enumerate(values):
            if x is not None:
                assert row[i] is None
                row[i] = x
    assert merged == {'{k="a"}': [1.0, 200.0, 3.0], '{k="c"}': [1000.0, None, None]}
