"""Aggregation operators on hand-built vectors (expected values from upstream's corpus)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab.server.promql.aggregations import aggregate
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import AggregateExpr, NumberLiteral, PositionRange
from lab.server.promql.values import StringValue
from tests.lab.server.promql.promql_vectors import as_dict, ctx, norm, scalar, vec

E = NumberLiteral(0.0)
P = NumberLiteral(0.0, pos=PositionRange(9, 12))
INF, NAN = math.inf, math.nan
BIG = 9.988465674311579e307


def agg(op, v, param=None, by=(), without=False, c=None):
    node = AggregateExpr(op, E, P if param is not None else None, tuple(by), without)
    return aggregate(c or ctx(v.values.shape[1] if v.num_series else 1), node, v, param)


def single(op, values, param=None):
    v = vec({f'd{{p="{i}"}}': [x] for i, x in enumerate(values)})
    out = agg(op, v, param)
    return float(out.values[0, 0])


@pytest.mark.parametrize(
    ("op", "values", "expected"),
    [
        ("sum", [2, 8, 1e100, -1e100], 10),
        ("avg", [2, 8, 1e100, -1e100], 2.5),
        ("avg", [8, 10, 12], 10),
        ("avg", [0, INF, INF, 0], INF),
        ("avg", [INF, 0, INF], INF),
        ("avg", [INF, INF, -INF], NAN),
        ("avg", [-INF, 0, INF], NAN),
        ("avg", [BIG] * 4, BIG),
        ("avg", [-BIG] * 4, -BIG),
        ("avg", [-BIG, -BIG, BIG, BIG], 0),
        ("avg", [52] * 12, 52),
        ("sum", [INF, -INF], NAN),
        ("sum", [NAN, 2], NAN),
        ("min", [1, 2, NAN, 3, 4], 1),
        ("max", [1, 2, NAN, 3, 4], 4),
        ("max", [NAN, NAN], NAN),
        ("count", [1, NAN], 2),
        ("group", [5, 6], 1),
        ("stddev", [1, 2], 0.5),
        ("stdvar", [1, 2], 0.25),
        ("stdvar", [1.33 * 10] * 3, 0.0),
        ("stddev", [1, 2, NAN], NAN),
        ("stddev", [NAN, 1, 2], NAN),
        ("stdvar", [1, 2, INF], NAN),
        ("stdvar", [INF], NAN),
    ],
)
def test_reductions(op, values, expected):
    got = single(op, values)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def test_by_without_and_names():
    v = vec(
        {
            'x{job="a",inst="0"}': [1, 2],
            'x{job="a",inst="1"}': [3, None],
            'x{job="b",inst="0"}': [None, None],
        }
    )
    assert as_dict(agg("sum", v, by=("job",))) == {'{job="a"}': [4.0, 2.0]}
    assert as_dict(agg("sum", v, by=("inst",), without=True)) == {'{job="a"}': [4.0, 2.0]}
    assert as_dict(agg("count", v)) == {"{}": [2.0, 1.0]}


def test_by_name_propagates_drop_mark():
    v = vec({'m{env="1"}': [10], 'm{env="2"}': [0.05]}, drop=[False, True])
    out = agg("sum", v, by=("__name__",))
    assert as_dict(out) == {"~m": [10.05]}


def test_quantile_nan_handling_and_warning():
    data = {'d{t="a",p="a"}': [0], 'd{t="a",p="b"}': [1], 'd{t="a",p="c"}': [NAN]}
    assert agg("quantile", vec(data), scalar(0.8), by=("p",), without=True).values[
        0, 0
    ] == pytest.approx(0.6)
    assert math.isnan(agg("quantile", vec(data), scalar(0.2), by=("p",), without=True).values[0, 0])
    c = ctx()
    out = agg("quantile", vec(data), scalar(NAN), by=("p",), without=True, c=c)
    assert math.isnan(out.values[0, 0])
    assert c.annotations.warnings == [
        "PromQL warning: quantile value should be between 0 and 1, got NaN (1:10)"
    ]


def test_quantile_param_per_step():
    v = vec({'d{p="a"}': [0, 0], 'd{p="b"}': [1, 1], 'd{p="c"}': [2, 2]})
    out = agg("quantile", v, scalar(0, 1))
    assert out.values.tolist() == [[0.0, 2.0]]


def test_topk_bottomk_order_and_nan():
    v = vec({'h{i="0"}': [100], 'h{i="1"}': [200], 'h{i="2"}': [NAN], 'h{i="3"}': [50]})
    top = agg("topk", v, scalar(3))
    assert [str(x) for x in top.labels] == ['h{i="1"}', 'h{i="0"}', 'h{i="3"}']
    top_all = agg("topk", v, scalar(9999999999))
    assert [str(x) for x in top_all.labels][-1] == 'h{i="2"}'
    bottom = agg("bottomk", v, scalar(4))
    assert [str(x) for x in bottom.labels] == ['h{i="3"}', 'h{i="0"}', 'h{i="1"}', 'h{i="2"}']


def test_topk_param_varies_per_step_and_keeps_drop_mark():
    v = vec({'h{i="0"}': [1, 1, 1], 'h{i="1"}': [2, 2, 2]}, drop=[True, False])
    out = agg("topk", v, scalar(0, 1, 2))
    assert as_dict(out) == {'h{i="1"}': [None, 2.0, 2.0], '~h{i="0"}': [None, None, 1.0]}


@pytest.mark.parametrize(
    ("op", "msg"),
    [
        ("topk", "Parameter value is NaN"),
        ("limitk", "Parameter value is NaN"),
        ("limit_ratio", "Ratio value is NaN"),
    ],
)
def test_nan_parameter_fails_even_on_empty_input(op, msg):
    with pytest.raises(EvalError, match=msg):
        agg(op, vec({}), scalar(NAN))


def test_limitk_and_limit_ratio():
    v = vec({f'h{{i="{i}"}}': [float(i), None if i == 0 else 1.0] for i in range(6)})
    out = agg("limitk", v, scalar(2, 2))
    assert out.present.sum(axis=0).tolist() == [2, 2]
    c = ctx(2)
    every = agg("limit_ratio", v, scalar(1.1, -1), c=c)
    assert every.present.sum(axis=0).tolist() == [6, 5]
    assert c.annotations.warnings == [
        "PromQL warning: ratio value should be between -1 and 1, got 1.1, capping to 1 (1:10)"
    ]
    a = agg("limit_ratio", v, scalar(0.3, 0.3))
    b = agg("limit_ratio", v, scalar(-0.7, -0.7))
    assert not set(a.labels) & set(b.labels)
    assert len(a.labels) + len(b.labels) == 6


def test_count_values():
    v = vec({'v{j="a",i="0"}': [6], 'v{j="a",i="1"}': [6], 'v{j="b",i="0"}': [7.5]})
    out = agg("count_values", v, StringValue("version"))
    assert norm(as_dict(out)) == {'{version="6"}': [2.0], '{version="7.5"}': [1.0]}
    out = agg("count_values", v, StringValue("j"), by=("i",), without=True)
    assert as_dict(out) == {'{j="6"}': [2.0], '{j="7.5"}': [1.0]}
    with pytest.raises(EvalError, match=r'invalid label name "a\\xc5z"'):
        agg("count_values", v, StringValue("a\udcc5z"))


def test_empty_input():
    out = agg("sum", vec({}))
    assert out.num_series == 0
    assert np.asarray(out.values).shape[0] == 0
