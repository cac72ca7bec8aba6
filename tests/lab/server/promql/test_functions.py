"""Instant-vector functions on hand-built vectors (cases from upstream's corpus)."""

from __future__ import annotations

import math

import pytest

from lab.model.matcher import Matcher, MatchType
from lab.server.promql.errors import EvalError
from lab.server.promql.functions import INSTANT_FUNCTIONS
from lab.server.promql.functions_labels import absent_labels
from lab.server.promql.natsort import natural_less
from lab.server.promql.parser.ast import Call, NumberLiteral, StringLiteral, VectorSelector
from lab.server.promql.values import InstantVector, Scalar, StringValue
from tests.lab.server.promql.promql_vectors import as_dict, ctx, norm, scalar, vec

E = NumberLiteral(0.0)


def call(name, *args, c=None, ast_args=None):
    node = Call(name, tuple(ast_args) if ast_args is not None else tuple(E for _ in args))
    steps = next(
        (a.values.shape[-1] for a in args if isinstance(a, InstantVector) and a.num_series), 1
    )
    return INSTANT_FUNCTIONS[name](c or ctx(steps), node, list(args))


def s(text):
    return StringValue(text)


@pytest.mark.parametrize(
    ("fn", "arg", "expected"),
    [
        ("year", 1136239445, 2006),
        ("month", 1136239445, 1),
        ("day_of_month", 1136239445, 2),
        ("day_of_year", 1136239445, 2),
        ("day_of_week", 1136239445, 1),
        ("hour", 1136239445, 22),
        ("minute", 1136239445, 4),
        ("year", 1230767999, 2008),
        ("year", 1230768000, 2009),
        ("day_of_year", 1483191420, 366),
        ("day_of_year", 1672493820, 365),
        ("days_in_month", 1454284800, 29),
        ("days_in_month", 1485907200, 28),
        ("month", 1456790399, 2),
        ("day_of_month", 1456790399, 29),
    ],
)
def test_date_functions(fn, arg, expected):
    out = call(fn, vec({"{}": [float(arg)]}))
    assert out.values[0, 0] == expected
    assert out.drop_name.all()


def test_date_functions_default_to_eval_time():
    out = call("day_of_week", c=ctx(1))
    assert as_dict(out) == {"{}": [4.0]}  # 1970-01-01 was a Thursday


@pytest.mark.parametrize(
    ("fn", "extra", "values", "expected"),
    [
        ("round", [], [2.5, -2.5, 0.5, -0.5], [3, -2, 1, 0]),
        ("round", [scalar(0.1)], [2.15, -5.25], [2.2, -5.2]),
        ("clamp_max", [scalar(75)], [-50, 100], [-50, 75]),
        ("clamp_min", [scalar(-25)], [-50, 100], [-25, 100]),
        ("clamp", [scalar(0), scalar(math.nan)], [1, 2], [math.nan, math.nan]),
        ("sgn", [], [-math.inf, 0, math.nan, 3], [-1, 0, math.nan, 1]),
        ("deg", [], [10], [572.9577951308232]),
        ("rad", [], [10], [0.17453292519943295]),
        ("ln", [], [0, -1], [-math.inf, math.nan]),
    ],
)
def test_math_functions(fn, extra, values, expected):
    v = vec({f'x{{i="{i}"}}': [x] for i, x in enumerate(values)})
    out = call(fn, v, *extra)
    got = [float(r[0]) for r in out.values]
    for g, e in zip(got, expected, strict=True):
        assert (math.isnan(g) and math.isnan(e)) or g == pytest.approx(e)
    assert out.drop_name.all()


def test_clamp_with_min_above_max_is_empty():
    out = call("clamp", vec({"x": [1.0]}), scalar(5), scalar(-5))
    assert not out.present.any()


def test_scalar_and_vector():
    got = call("scalar", vec({'m{l="x"}': [1, None], 'm{l="y"}': [2, 3]}))
    assert isinstance(got, Scalar)
    assert norm({"s": got.values.tolist()}) == {"s": ["NaN", 3.0]}
    assert as_dict(call("vector", scalar(7))) == {"{}": [7.0]}


def test_label_replace_and_join():
    v = vec({'t{src="source-value-10",dst="orig"}': [0]})
    out = call("label_replace", v, s("dst"), s("$1-x-${1}y$$"), s("src"), s("source-value-(.*)"))
    assert [str(x) for x in out.labels] == ['t{dst="10-x-10y$", src="source-value-10"}']
    out = call("label_replace", v, s("dst"), s("value-$1"), s("src"), s("value-(.*)"))
    assert [str(x) for x in out.labels] == ['t{dst="orig", src="source-value-10"}']
    out = call("label_replace", v, s("dst"), s(""), s("dst"), s(".*"))
    assert [str(x) for x in out.labels] == ['t{src="source-value-10"}']
    with pytest.raises(EvalError, match="invalid regular expression"):
        call("label_replace", v, s("dst"), s("x"), s("src"), s("(.*"))
    out = call("label_join", v, s("dst"), s("-"), s("src"), s("nope"), s("dst"))
    assert [str(x) for x in out.labels] == ['t{dst="source-value-10--orig", src="source-value-10"}']


def test_label_replace_of_name_keeps_it():
    v = vec({'m{env="1"}': [0.2]}, drop=[True])
    out = call("label_replace", v, s("__name__"), s("rate_$1"), s("__name__"), s("(.+)"))
    assert as_dict(out) == {'rate_m{env="1"}': [0.2]}
    out = call("label_replace", v, s("my_name"), s("$1"), s("__name__"), s("(.+)"))
    assert as_dict(out) == {'~m{env="1", my_name="m"}': [0.2]}


def test_sorting():
    v = vec({'h{i="0"}': [300], 'h{i="1"}': [math.nan], 'h{i="2"}': [100]})
    assert [str(x) for x in call("sort", v).labels] == ['h{i="2"}', 'h{i="0"}', 'h{i="1"}']
    assert [str(x) for x in call("sort_desc", v).labels] == ['h{i="0"}', 'h{i="2"}', 'h{i="1"}']
    cpus = vec({f'c{{cpu="{n}"}}': [1] for n in ("10", "2", "100", "1", "0")})
    out = call("sort_by_label", cpus, s("cpu"))
    assert [x.get("cpu") for x in out.labels] == ["0", "1", "2", "10", "100"]
    out = call("sort_by_label_desc", cpus, s("cpu"))
    assert [x.get("cpu") for x in out.labels] == ["100", "10", "2", "1", "0"]
    assert natural_less("1.2.3", "1.11.3") and natural_less("4m5", "4m600")


def test_sort_in_range_query_warns():
    c = ctx(2)
    call("sort", vec({"x": [1, 2]}), c=c)
    assert c.annotations.warnings == [
        "PromQL warning: sort is ineffective for range queries since results are always "
        "ordered by labels (1:1)"
    ]


def test_absent():
    sel = VectorSelector(
        "nonexistent",
        (
            Matcher(MatchType.EQUAL, "__name__", "nonexistent"),
            Matcher(MatchType.EQUAL, "job", "a"),
            Matcher(MatchType.REGEX, "job", "b"),
            Matcher(MatchType.EQUAL, "foo", "bar"),
            Matcher(MatchType.REGEX, "method", ".x"),
        ),
    )
    assert str(absent_labels(sel)) == '{foo="bar"}'
    out = call("absent", vec({"x": [None, 1.0]}), ast_args=[sel])
    assert as_dict(out) == {'{foo="bar"}': [1.0, None]}
    assert call("absent", vec({"x": [1.0]}), ast_args=[sel]).num_series == 0


def test_histogram_quantile_classic():
    buckets = {
        'h_bucket{le="0.1"}': [50.0],
        'h_bucket{le="0.2"}': [70.0],
        'h_bucket{le="1e0"}': [110.0],
        'h_bucket{le="+Inf"}': [120.0],
    }
    out = call("histogram_quantile", scalar(0.5), vec(buckets))
    assert out.labels[0].name == "h_bucket" and out.drop_name.all()
    assert out.values[0, 0] == pytest.approx(0.1 + 0.1 * (60 - 50) / 20)
    assert call("histogram_quantile", scalar(1.01), vec(buckets)).values[0, 0] == math.inf
    c = ctx()
    nonmono = {
        f'n{{le="{le}"}}': [v]
        for le, v in (
            ("0.1", 20.0),
            ("1", 10.0),
            ("10", 50.0),
            ("100", 40.0),
            ("1000", 90.0),
            ("+Inf", 80.0),
        )
    }
    out = call("histogram_quantile", scalar(0.99), vec(nonmono), c=c)
    assert out.values[0, 0] == pytest.approx(979.75)
    assert c.annotations.infos and "monotonicity" in c.annotations.infos[0]


def test_histogram_fraction_classic():
    b = {'f{le="1"}': [1.0], 'f{le="2"}': [3.0], 'f{le="3"}': [6.0], 'f{le="+Inf"}': [100.0]}
    assert call("histogram_fraction", scalar(0), scalar(1.5), vec(b)).values[0, 0] == pytest.approx(
        0.02
    )
    assert call("histogram_fraction", scalar(400), scalar(math.inf), vec(b)).values[
        0, 0
    ] == pytest.approx(0.94)
    neg = {
        'g{le="-3"}': [10.0],
        'g{le="-2"}': [12.0],
        'g{le="-1"}': [15.0],
        'g{le="+Inf"}': [100.0],
    }
    assert call("histogram_fraction", scalar(-math.inf), scalar(-1.5), vec(neg)).values[
        0, 0
    ] == pytest.approx(0.135)
    assert call("histogram_fraction", scalar(-4), scalar(-2), vec(neg)).values[
        0, 0
    ] == pytest.approx(0.02)


def test_time_and_step_functions():
    c = ctx(3, start_ms=10_000, step_ms=5_000)
    assert call("time", c=c).values.tolist() == [10.0, 15.0, 20.0]
    assert call("step", c=c).values.tolist() == [5.0] * 3
    assert call("range", c=c).values.tolist() == [10.0] * 3
    assert call("min_of", scalar(3, 3, 3), scalar(5, math.nan, 1), c=c).values[0] == 3
    assert StringLiteral("x").value == "x"
