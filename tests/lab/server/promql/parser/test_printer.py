"""The printer: upstream's canonical forms, and parse(to_string(e)) == e."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings

from lab.server.promql.parser.ast import Expr, NumberLiteral
from lab.server.promql.parser.parser import parse
from lab.server.promql.parser.printer import go_format_float, to_string
from tests.lab.server.promql.parser.ast_strategies import duration_exprs, exprs
from tests.lab.server.promql.parser.corpus import CORPUS, evals

# (input, canonical output or None when the input is already canonical); the
# first group is Prometheus's own printer table (printer_test.go).
CANONICAL = [
    ('sum by() (task:errors:rate10s{job="s"})', 'sum(task:errors:rate10s{job="s"})'),
    ('sum by(code) (task:errors:rate10s{job="s"})', 'sum by (code) (task:errors:rate10s{job="s"})'),
    (
        'sum without() (task:errors:rate10s{job="s"})',
        'sum without () (task:errors:rate10s{job="s"})',
    ),
    ('sum without(instance) (x{job="s"})', 'sum without (instance) (x{job="s"})'),
    ('sum by("foo.bar") (x)', 'sum by ("foo.bar") (x)'),
    ('topk(5, task:errors:rate10s{job="s"})', None),
    ('count_values("value", task:errors:rate10s{job="s"})', None),
    ("a - on() c", "a - on () c"),
    ("a - on(b) c", "a - on (b) c"),
    ("a - on(b) group_left(x) c", "a - on (b) group_left (x) c"),
    ("a - on(b) group_left(x, y) c", "a - on (b) group_left (x, y) c"),
    ("a - on(b) group_left c", "a - on (b) group_left () c"),
    ("a - on(b) group_left() (c)", "a - on (b) group_left () (c)"),
    ("a - ignoring(b) c", "a - ignoring (b) c"),
    ("a - ignoring() c", "a - c"),
    ("a - ignoring() group_left c", "a - ignoring () group_left () c"),
    ("a + fill(-23) b", "a + fill (-23) b"),
    ("a + fill_left(-23) b", "a + fill_left (-23) b"),
    ("a + fill_right(42) b", "a + fill_right (42) b"),
    ("a + fill_left(-23) fill_right(42) b", "a + fill_left (-23) fill_right (42) b"),
    ("a + fill_left(5) fill_right(5) b", "a + fill (5) b"),
    ("a + on(b) group_left fill(-23) c", "a + on (b) group_left () fill (-23) c"),
    ("up > bool 0", None),
    ("a offset 1m", None),
    ("a offset -7m", None),
    ('a{c="d"}[5m] offset 1m', None),
    ("a[12m] offset -3m", None),
    ("a[1h:5m] offset 1m", None),
    ("a anchored", None),
    ('a{b="c"}[5m] anchored @ start() offset 1m', None),
    ('a{b="c"}[5m] smoothed offset 1m', None),
    ('{__name__="a"}', None),
    ('a{b!~"c"}[1m]', None),
    ("a @ 10", "a @ 10.000"),
    ("a[1m] @ 10", "a[1m] @ 10.000"),
    ("a[1m] @ end()", None),
    ('{__name__="",a="x"}', None),
    ('{"a.b"="c"}', None),
    ('{"0"="1"}', None),
    ('{"_0"="1"}', '{_0="1"}'),
    ('{``="0"}', '{""="0"}'),
    ("1048576", None),
    ("foo[-(step())]", None),
    ("foo offset -step()", None),
    ("foo offset +(5)", "foo offset (5)"),
    ("foo offset -(5)", None),
    ("foo[(5m):(1m)]", None),
    ("foo offset +min_of(10s, 20s)", "foo offset min_of(10s, 20s)"),
    (
        "foo offset -min_of(10s, +max_of(step() ^ 2, 2))",
        "foo offset -min_of(10s, max_of(step() ^ 2, 2))",
    ),
    ("foo[200-min_of(-step()^+step(),1)]", "foo[200 - min_of(-step() ^ step(), 1)]"),
    ("foo[max_of(range(), 5s)]", None),
    ('count by("ööö", job) (foo)', 'count by ("ööö", job) (foo)'),
    # Our own.
    ("x[1800]", "x[30m]"),
    ("x[90s] offset 3", "x[1m30s] offset 3s"),
    ("x[5m+1m]", "x[5m + 1m]"),
    ("x offset 0", "x"),
    ("1e3", "1000"),
    ("0x1F", "31"),
    ("1_000", "1000"),
    (".5", "0.5"),
    ("-Inf", None),
    ("+inf", "+Inf"),
    ("nan", "NaN"),
    ("-1", None),
    ("- 2 ^ 2", "-2 ^ 2"),
    ("1h30m", None),
    ("'it\\'s'", '"it\'s"'),
    ("`a\\b`", '"a\\\\b"'),
    ('"\\xc5"', '"\\xc5"'),
    ('"\\u00e9\\t"', '"é\\t"'),
    ('foo{b="1", a="2"}', 'foo{a="2",b="1"}'),
    ('{"my.metric", "a.b"="x"}', '{"a.b"="x",__name__="my.metric"}'),
    ("SUM BY (Group) (x)", "sum by (Group) (x)"),
    ("sum(x) by (a)", "sum by (a) (x)"),
    ("x @ start() offset 5m", "x @ start() offset 5m"),
    ("x offset 5m @ 100", "x @ 100.000 offset 5m"),
    ("x @ 1m", "x @ 60.000"),
    ("metric1_total offset (20*((8 - 2) / 3))", "metric1_total offset (20 * ((8 - 2) / 3))"),
    ("count_over_time(m[STep()])", "count_over_time(m[step()])"),
    ("a and on(b) c", "a and on (b) c"),
    ("a == bool b", None),
    ("h </ 0", None),
    ("h >/ +Inf", None),
    ("# comment\nfoo # more\n", "foo"),
    ("a + fill(1e6) b", "a + fill (1e+06) b"),
]


@pytest.mark.parametrize(("query", "canonical"), CANONICAL)
def test_canonical_form(query: str, canonical: str | None) -> None:
    assert to_string(parse(query)) == (canonical if canonical is not None else query)


def test_go_float_format() -> None:
    values = [1e6, 100000.0, 1234567.0, -23.0, 0.0001, 0.00001, 1.5, float("inf")]
    assert [go_format_float(v) for v in values] == [
        "1e+06", "100000", "1.234567e+06", "-23", "0.0001", "1e-05", "1.5", "+Inf",
    ]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs())
def test_round_trip_generated(expr: Expr) -> None:
    text = to_string(expr)
    assert parse(text) == expr, text


@settings(max_examples=200, deadline=None)
@given(duration_exprs(3))
def test_round_trip_duration_expressions(d: Expr) -> None:
    assume(not (isinstance(d, NumberLiteral) and d.value <= 0))
    text = f"x[{to_string(d)}:]"
    sub = parse(text)
    assert getattr(sub, "range", None) == d, text


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared corpus not present")
def test_corpus_printing_is_stable() -> None:
    # Printing is idempotent on the corpus: canonical text parses back to the
    # same canonical text (the AST may differ only in matcher order).
    for ev in evals():
        once = to_string(parse(ev.expr))
        assert to_string(parse(once)) == once, ev.id
