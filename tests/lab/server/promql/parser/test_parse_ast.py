"""The trees the parser builds: precedence, literals, modifiers, positions."""

from __future__ import annotations

import math

import pytest

from lab.model.matcher import Matcher, MatchType
from lab.server.promql.errors import ParseError
from lab.server.promql.parser.ast import (
    AggregateExpr,
    AtKind,
    AtModifier,
    BinaryExpr,
    Call,
    Cardinality,
    Expr,
    MatrixSelector,
    NumberLiteral,
    ParenExpr,
    StringLiteral,
    SubqueryExpr,
    UnaryExpr,
    ValueType,
    VectorMatching,
    VectorSelector,
)
from lab.server.promql.parser.parser import parse, parse_duration, parse_series_selector


def sexpr(e: Expr | None) -> str:
    """A compact tree: ``(+ a (* b c))``; selectors print as their name."""
    if e is None:
        return "_"
    if isinstance(e, NumberLiteral):
        return repr(e.value)
    if isinstance(e, StringLiteral):
        return repr(e.value)
    if isinstance(e, VectorSelector):
        text = e.name or "{}"
        if e.offset is not None:
            text += f" offset {sexpr(e.offset)}"
        return text
    if isinstance(e, MatrixSelector):
        return f"{sexpr(e.vector)}[{sexpr(e.range)}]"
    if isinstance(e, SubqueryExpr):
        return f"{sexpr(e.expr)}[{sexpr(e.range)}:{sexpr(e.step)}]"
    if isinstance(e, BinaryExpr):
        return f"({e.op} {sexpr(e.lhs)} {sexpr(e.rhs)})"
    if isinstance(e, UnaryExpr):
        return f"({e.op}u {sexpr(e.expr)})"
    if isinstance(e, ParenExpr):
        return f"[{sexpr(e.expr)}]"
    if isinstance(e, Call):
        return f"{e.func}({', '.join(sexpr(a) for a in e.args)})"
    if isinstance(e, AggregateExpr):
        return f"{e.op}({sexpr(e.param) + ', ' if e.param else ''}{sexpr(e.expr)})"
    raise TypeError(e)


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("a + b * c", "(+ a (* b c))"),
        ("a * b + c", "(+ (* a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b / c", "(/ (/ a b) c)"),
        ("a ^ b ^ c", "(^ a (^ b c))"),
        ("-2 ^ 2", "(-u (^ 2.0 2.0))"),
        ("2 ^ -2", "(^ 2.0 -2.0)"),
        ("-a * b", "(* (-u a) b)"),
        ("a * -b ^ c", "(* a (-u (^ b c)))"),
        ("a atan2 b * c", "(* (atan2 a b) c)"),
        ("a == b + c", "(== a (+ b c))"),
        ("a > b and c < d or e", "(or (and (> a b) (< c d)) e)"),
        ("a or b unless c and d", "(or a (and (unless b c) d))"),
        ("a </ 1 + 2", "(</ a (+ 1.0 2.0))"),
        ("-a offset 5m", "(-u a offset 300.0)"),
        ("--1", "1.0"),
        ("-(1)", "(-u [1.0])"),
        ("+a", "(+u a)"),
        ("- -a", "(-u (-u a))"),
        ("sum(a) by (x) + 1", "(+ sum(a) 1.0)"),
        ("topk(3, a)", "topk(3.0, a)"),
        ("rate(a[5m])[30m:1m]", "rate(a[300.0])[1800.0:60.0]"),
        ("a[5m:]", "a[300.0:_]"),
        # Offsets as in duration_expression.test.
        ("m offset 100 + 2", "(+ m offset 100.0 2.0)"),
        ("m offset 2 ^ 2", "(^ m offset 2.0 2.0)"),
        ("m offset -2 ^ 2", "(^ m offset -2.0 2.0)"),
        ("m offset -2 * 2", "(* m offset -2.0 2.0)"),
        ("m offset (-2 ^ 2)", "m offset [(-u (^ 2.0 2.0))]"),
        ("m offset (2 * 2)", "m offset [(* 2.0 2.0)]"),
        ("m offset step()*0", "(* m offset step() 0.0)"),
        ("m offset -step()*2", "(* m offset (-u step()) 2.0)"),
        ("m offset (-step()*2)", "m offset [(* (-u step()) 2.0)]"),
        ("m offset min_of(step(), 1s)+8000", "(+ m offset min_of(step(), 1.0) 8000.0)"),
        ("m offset -(min_of(step(), 1s))+8000", "(+ m offset (-u [min_of(step(), 1.0)]) 8000.0)"),
        ("m offset -min_of(step(), 1s)^0", "(^ m offset (-u min_of(step(), 1.0)) 0.0)"),
        ("m offset +min_of(step(), 1s)^0", "(^ m offset min_of(step(), 1.0) 0.0)"),
        # A parenthesised offset is continued by arithmetic, as upstream's grammar does.
        ("m offset (1m) + 1", "m offset (+ [60.0] 1.0)"),
        # Durations.
        ("m[5m+1m]", "m[(+ 300.0 60.0)]"),
        ("m[2m*(10+5)]", "m[(* 120.0 [(+ 10.0 5.0)])]"),
        ("m[-5m+35m]", "m[(+ -300.0 2100.0)]"),
        ("m[30m1s-30m1s % 1m]", "m[(- 1801.0 (% 1801.0 60.0))]"),
        ("m[1+(STep()-5)*2]", "m[(+ 1.0 (* [(- step() 5.0)] 2.0))]"),
        ("m[max_of(min_of(step()+1,1h),1ms)]", "m[max_of(min_of((+ step() 1.0), 3600.0), 0.001)]"),
        ("m[range()]", "m[range()]"),
        (
            "m[29s+1s:((((8 - 2) / 3) * 7s) % 4) + 8000ms]",
            "m[(+ 29.0 1.0):(+ [(% [(* [(/ [(- 8.0 2.0)] 3.0)] 7.0)] 4.0)] 8.0)]",
        ),
        ("step()", "step()"),
        ("min_of(1, 2)", "min_of(1.0, 2.0)"),
    ],
)
def test_tree(query: str, tree: str) -> None:
    assert sexpr(parse(query)) == tree


@pytest.mark.parametrize(
    ("text", "value", "duration"),
    [
        ("1", 1.0, False),
        ("0x1F", 31.0, False),
        ("0X_1f", 31.0, False),
        ("017", 15.0, False),  # Go's ParseInt(s, 0, 64): octal
        ("08", 8.0, False),
        ("1e3", 1000.0, False),
        ("1E-3", 0.001, False),
        (".5", 0.5, False),
        ("5.", 5.0, False),
        ("1_000_000", 1e6, False),
        ("1_000.5", 1000.5, False),
        ("Inf", math.inf, False),
        ("-inf", -math.inf, False),
        ("+INF", math.inf, False),
        ("1h30m", 5400.0, True),
        ("10ms", 0.01, True),
        ("1y", 365 * 86400.0, True),
        ("2w", 14 * 86400.0, True),
        ("1d", 86400.0, True),
        ("-5m", -300.0, True),
        ("1s53ms", 1.053, True),
    ],
)
def test_number_literals(text: str, value: float, duration: bool) -> None:
    e = parse(text)
    assert isinstance(e, NumberLiteral)
    assert e.value == value
    assert e.duration is duration
    assert e.type is ValueType.SCALAR


def test_nan() -> None:
    for text in ("NaN", "nan", "-NaN"):
        e = parse(text)
        assert isinstance(e, NumberLiteral) and math.isnan(e.value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"a\\nb"', "a\nb"),
        ("'single \"quoted\"'", 'single "quoted"'),
        ("'it\\'s'", "it's"),
        ("`raw \\n`", "raw \\n"),
        ('"\\x41\\101\\u00e9\\U0001F600"', "AAé😀"),
        ('"\\xc3\\xa9"', "é"),  # bytes that form UTF-8
        ('"a\\xc5z"', "a\udcc5z"),  # invalid UTF-8 is kept as a lone surrogate
        ('"\\a\\b\\f\\r\\t\\v\\\\"', "\a\b\f\r\t\v\\"),
    ],
)
def test_string_literals(text: str, value: str) -> None:
    e = parse(text)
    assert e == StringLiteral(value)
    assert e.type is ValueType.STRING


def test_selector_matchers() -> None:
    e = parse('foo{a="1", b!="2", c=~"3.*", d!~"4",}')
    assert isinstance(e, VectorSelector)
    assert e.name == "foo"
    assert e.matchers == (
        Matcher(MatchType.EQUAL, "a", "1"),
        Matcher(MatchType.NOT_EQUAL, "b", "2"),
        Matcher(MatchType.REGEX, "c", "3.*"),
        Matcher(MatchType.NOT_REGEX, "d", "4"),
        Matcher(MatchType.EQUAL, "__name__", "foo"),
    )


def test_utf8_names() -> None:
    e = parse('{"my.metric", "a.b"="x"}')
    assert isinstance(e, VectorSelector)
    assert e.name is None
    assert e.matchers == (
        Matcher(MatchType.EQUAL, "__name__", "my.metric"),
        Matcher(MatchType.EQUAL, "a.b", "x"),
    )
    agg = parse('sum by ("a.b", c) (x)')
    assert isinstance(agg, AggregateExpr) and agg.grouping == ("a.b", "c")


@pytest.mark.parametrize(
    "query",
    [
        'sum{on="x"}',
        "sum",
        "offset offset 5m",
        "by + without",
        "fill + fill(0) other",
        'x{by="1", bool="2", offset="3", on="4", group_left="5", inf="6"}',
        "sum by (by, bool, on, offset, group_left, sum) (x)",
        "a + on(on, ignoring) group_left(bool) b",
        "anchored[5m] anchored",
        "step + range + start + end + min_of",
        "avg_over_time(count[5m]) > count_values",
        "x:y:z + :w",
    ],
)
def test_keywords_as_names(query: str) -> None:
    parse(query)


def test_case_insensitive_keywords() -> None:
    e = parse("SUM BY (group) (x) AND ON (a) y OFFSET 5m")
    assert isinstance(e, BinaryExpr) and e.op == "and"
    assert isinstance(e.lhs, AggregateExpr) and e.lhs.op == "sum"
    assert e.matching == VectorMatching(Cardinality.MANY_TO_MANY, True, ("a",))


def test_keyword_case_and_units() -> None:
    with pytest.raises(ParseError, match='bad number or duration syntax: "5"'):
        parse("x offset 5M")  # units are lower case
    e = parse("x OFFSET 5m")
    assert isinstance(e, VectorSelector) and e.offset == NumberLiteral(300.0)


def test_at_modifier() -> None:
    e = parse("x @ 1609746000")
    assert isinstance(e, VectorSelector)
    assert e.at == AtModifier(AtKind.TIME, 1609746000.0)
    e = parse("x @ -1.5 offset 1m")
    assert isinstance(e, VectorSelector)
    assert e.at == AtModifier(AtKind.TIME, -1.5) and e.offset == NumberLiteral(60.0)
    e = parse("x offset 1m @ START()")
    assert isinstance(e, VectorSelector) and e.at == AtModifier(AtKind.START)
    m = parse("rate(x[5m] @ end() offset -1m)")
    assert isinstance(m, Call)
    ms = m.args[0]
    assert isinstance(ms, MatrixSelector)
    assert ms.vector.at == AtModifier(AtKind.END)
    assert ms.vector.offset == NumberLiteral(-60.0)
    sq = parse("x[5m:1m] @ 100 offset 5m")
    assert isinstance(sq, SubqueryExpr)
    assert sq.at == AtModifier(AtKind.TIME, 100.0) and sq.offset == NumberLiteral(300.0)
    # Timestamps are kept to the millisecond, as upstream.
    e = parse("x @ 1.0004")
    assert isinstance(e, VectorSelector) and e.at == AtModifier(AtKind.TIME, 1.0)


def test_extended_range_selectors() -> None:
    e = parse("increase(x[1m] anchored)")
    assert isinstance(e, Call)
    ms = e.args[0]
    assert isinstance(ms, MatrixSelector) and ms.vector.anchored and not ms.vector.smoothed
    e = parse("x smoothed")
    assert isinstance(e, VectorSelector) and e.smoothed


def test_vector_matching() -> None:
    e = parse("a * on(x, y) group_left(z) b")
    assert isinstance(e, BinaryExpr)
    assert e.matching == VectorMatching(Cardinality.MANY_TO_ONE, True, ("x", "y"), ("z",))
    e = parse("a / ignoring(x) group_right b")
    assert isinstance(e, BinaryExpr)
    assert e.matching == VectorMatching(Cardinality.ONE_TO_MANY, False, ("x",), ())
    e = parse("a and b")
    assert isinstance(e, BinaryExpr)
    assert e.matching == VectorMatching(Cardinality.MANY_TO_MANY)
    e = parse("a > bool 1")
    assert isinstance(e, BinaryExpr) and e.return_bool and e.matching is None
    e = parse("1 + 2")
    assert isinstance(e, BinaryExpr) and e.matching is None and e.type is ValueType.SCALAR


@pytest.mark.parametrize(
    ("query", "left", "right"),
    [
        ("a + fill(1) b", 1.0, 1.0),
        ("a + fill_left(-1) b", -1.0, None),
        ("a + fill_right(2) b", None, 2.0),
        ("a + fill_left(1) fill_right(2) b", 1.0, 2.0),
        ("a + fill_right(2) fill_left(1) b", 1.0, 2.0),
        ("a + on(x) group_left fill(NaN) b", math.nan, math.nan),
    ],
)
def test_fill(query: str, left: float | None, right: float | None) -> None:
    e = parse(query)
    assert isinstance(e, BinaryExpr)
    for got, want in ((e.fill_left, left), (e.fill_right, right)):
        if want is not None and math.isnan(want):
            assert got is not None and math.isnan(got)
        else:
            assert got == want


def test_aggregations() -> None:
    a = parse("sum without (a, b) (x)")
    b = parse("sum(x) without (a, b)")
    assert a == b == AggregateExpr("sum", parse("x"), None, ("a", "b"), True)
    e = parse('count_values("v", x)')
    assert isinstance(e, AggregateExpr) and e.param == StringLiteral("v")
    e = parse("limit_ratio(0.5, x)")
    assert isinstance(e, AggregateExpr) and e.op == "limit_ratio"
    assert e.param == NumberLiteral(0.5)


def test_comments() -> None:
    assert parse("sum( # the total\n  x # of x\n)") == parse("sum(x)")


def test_positions() -> None:
    q = "sum by (a) (rate(foo{x='y'}[5m] offset 1m)) + -1"
    e = parse(q)
    assert isinstance(e, BinaryExpr)
    assert (e.pos.start, e.pos.end) == (0, len(q))
    agg = e.lhs
    assert isinstance(agg, AggregateExpr)
    assert q[agg.pos.start : agg.pos.end] == "sum by (a) (rate(foo{x='y'}[5m] offset 1m))"
    call = agg.expr
    assert isinstance(call, Call)
    assert q[call.pos.start : call.pos.end] == "rate(foo{x='y'}[5m] offset 1m)"
    ms = call.args[0]
    assert isinstance(ms, MatrixSelector)
    assert q[ms.pos.start : ms.pos.end] == "foo{x='y'}[5m] offset 1m"
    assert q[ms.vector.pos.start : ms.vector.pos.end] == "foo{x='y'}"
    assert q[e.rhs.pos.start : e.rhs.pos.end] == "-1"


def test_parse_duration() -> None:
    assert parse_duration("5m") == 300.0
    assert parse_duration("1h30m") == 5400.0
    assert parse_duration("10ms") == 0.01
    assert parse_duration("0") == 0.0
    assert parse_duration("90") == 90.0
    assert parse_duration("1.5") == 1.5
    for bad in ("5m1h", "1hs", "", "abc", "1.5m"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_parse_series_selector() -> None:
    s = parse_series_selector('up{job="x"}')
    assert s.name == "up"
    assert s.matchers == (
        Matcher(MatchType.EQUAL, "job", "x"),
        Matcher(MatchType.EQUAL, "__name__", "up"),
    )
    s = parse_series_selector('{"a.b"="c"}')
    assert s.name is None and s.matchers == (Matcher(MatchType.EQUAL, "a.b", "c"),)
    with pytest.raises(ParseError, match="parse error"):
        parse_series_selector("up + 1")
