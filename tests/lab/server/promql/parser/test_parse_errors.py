"""Parse and type errors: upstream's messages at upstream's positions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.server.promql.errors import ParseError
from lab.server.promql.parser.parser import parse

_HERE = Path(__file__).parent
# Prometheus's own parser tests (parse_test.go): failing inputs with the first
# error's start offset and message, and inputs that must parse.
UPSTREAM_ERRORS = json.loads((_HERE / "upstream_parse_errors.json").read_text(encoding="utf-8"))
UPSTREAM_VALID = json.loads((_HERE / "upstream_valid_queries.json").read_text(encoding="utf-8"))


def _error(query: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(query)
    return info.value


@pytest.mark.parametrize("case", UPSTREAM_ERRORS, ids=lambda c: c["query"][:40])
def test_upstream_error(case: dict[str, object]) -> None:
    err = _error(str(case["query"]))
    detail = err.details[0]
    assert (detail.start, detail.message) == (case["start"], case["message"])


@pytest.mark.parametrize("query", UPSTREAM_VALID)
def test_upstream_valid(query: str) -> None:
    parse(query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "rate(x)",
            '1:6: parse error: expected type range vector in call to function "rate", '
            "got instant vector",
        ),
        ("foo(x)", '1:1: parse error: unknown function with name "foo"'),
        ("abs(x, y)", '1:1: parse error: expected 1 argument(s) in call to "abs", got 2'),
        (
            "label_join(x)",
            '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1',
        ),
        (
            "round(x, 1, 2)",
            '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3',
        ),
        ("{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
        (
            'x{a=~"("}',
            "1:3: parse error: error parsing regexp: missing ), unterminated subpattern: `(`",
        ),
        (
            "x[5m] + 1",
            "1:1: parse error: binary expression must contain only scalar and instant vector types",
        ),
        (
            "1 + x[5m]",
            "1:5: parse error: binary expression must contain only scalar and instant vector types",
        ),
        ("1 and 2", '1:1: parse error: set operator "and" not allowed in binary scalar expression'),
        ("x or 1", '1:1: parse error: set operator "or" not allowed in binary scalar expression'),
        ("x + bool y", "1:3: parse error: bool modifier can only be used on comparison operators"),
        ("1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"),
        ("x and on(a) group_left y", '1:1: parse error: no grouping allowed for "and" operation'),
        (
            "x and fill(1) y",
            "1:1: parse error: filling in missing series not allowed for set operators",
        ),
        (
            "x + fill(1) 2",
            "1:1: parse error: filling in missing series only allowed between instant vectors",
        ),
        ("x + on(a) 2", "1:1: parse error: vector matching only allowed between instant vectors"),
        (
            "x + on(a) group_left(a) y",
            '1:3: parse error: label "a" must not occur in ON and GROUP clause at once',
        ),
        (
            "-x[5m]",
            "1:1: parse error: unary expression only allowed on expressions of type "
            'scalar or instant vector, got "range vector"',
        ),
        (
            "x[5m][5m:]",
            "1:1: parse error: subquery is only allowed on instant vector, got matrix instead",
        ),
        (
            "sum(x[5m])",
            "1:5: parse error: expected type instant vector in aggregation "
            "expression, got range vector",
        ),
        (
            "topk(x, y)",
            "1:6: parse error: expected type scalar in aggregation parameter, got instant vector",
        ),
        (
            'quantile("a", y)',
            "1:10: parse error: expected type scalar in aggregation parameter, got string",
        ),
        (
            "sum(x, y)",
            "1:1: parse error: wrong number of arguments for aggregate expression "
            "provided, expected 1, got 2",
        ),
        (
            'foo{__name__="bar"}',
            '1:1: parse error: metric name must not be set twice: "foo" or "bar"',
        ),
        (
            'info(x, y{a="b"})',
            "1:9: parse error: expected label selectors only, got vector selector instead",
        ),
        ("x offset 1m offset 2m", "1:1: parse error: offset may not be set multiple times"),
        ("x @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"),
        (
            "sum(x) @ 5",
            "1:1: parse error: @ modifier must be preceded by an instant vector "
            "selector or range vector selector or a subquery",
        ),
        ("x[0s]", "1:3: parse error: duration must be greater than 0"),
        ("x[5m:0s]", "1:6: parse error: duration must be greater than 0"),
        ("x[1h30]", '1:3: parse error: bad number or duration syntax: "1h30"'),
        ("x[1m1h]", '1:3: parse error: not a valid duration string: "1m1h"'),
        ("x[1.5m]", '1:3: parse error: not a valid duration string: "1.5m"'),
        (
            "x[5m] anchored smoothed",
            "1:1: parse error: anchored and smoothed modifiers cannot be used together",
        ),
        ("x[5m:] smoothed", "1:1: parse error: smoothed modifier is not supported for subqueries"),
        ("sum(x) anchored", "1:1: parse error: anchored modifier not implemented"),
        ('sum by ("") (x)', '1:9: parse error: invalid label name for grouping: ""'),
        ("abs(x,)", "1:6: parse error: trailing commas not allowed in function call args"),
        ('"\\q"', "1:1: parse error: unknown escape sequence U+0071 'q'"),
        ('"\\ud800"', "1:1: parse error: escape sequence is an invalid Unicode code point"),
        ("on", "1:1: parse error: unexpected <on>"),
        ("x + bool", "1:9: parse error: unexpected end of input"),
        (
            "holt_winters(x[5m], 0.1, 0.1)",
            '1:1: parse error: unknown function with name "holt_winters"',
        ),
        ("foo +\n  bar{", "2:7: parse error: unexpected end of input inside braces"),
        ("  \n# only a comment", "1:1: parse error: no expression found in input"),
    ],
)
def test_error_message(query: str, expected: str) -> None:
    assert str(_error(query)) == expected


def test_first_problem_wins() -> None:
    # Parse-time problems come before type checks, as upstream.
    err = _error("{} + foo(x)")
    assert err.details[0].message == 'unknown function with name "foo"'


def test_error_carries_query() -> None:
    err = _error("sum(rate(x[5m]) by (a)")
    assert err.details[0].query == "sum(rate(x[5m]) by (a)"
    assert err.position == err.details[0].start
