"""Invalid payloads: each raises ``ParseError`` naming line, column and what was expected.

The cases are what upstream's parsers (client_golang expfmt for text 0.0.4,
Prometheus' OpenMetrics parser and the OpenMetrics 1.0 ABNF) reject. Every case
is checked on the fast parser and on the exact (lexer-only) parser: both must
give the same error.
"""

from __future__ import annotations

import pytest

from exporters.common.exposition import ExpositionError, ExpositionFormat, ParseError, parse
from exporters.common.exposition.parser import parse_exact
from lab.model.errors import LabError

TEXT = ExpositionFormat.TEXT
OPENMETRICS = ExpositionFormat.OPENMETRICS

CASES = [
    (TEXT, b"foo 1", 1, 6, 'expected "\\n" at end of line, got end of input'),
    (TEXT, b"1foo 1\n", 1, 1, 'expected metric name, got "1"'),
    (TEXT, b"foo-bar 1\n", 1, 4, 'expected " " or "{" after metric name, got "-"'),
    (TEXT, b'foo{a="b"}\n', 1, 11, "expected value, got end of line"),
    (TEXT, b"foo abc\n", 1, 5, 'expected float value, got "abc"'),
    (TEXT, b"foo 1_000\n", 1, 5, 'expected float value, got "1_000"'),
    (TEXT, b"foo 0x1p3\n", 1, 5, 'expected float value, got "0x1p3"'),
    (TEXT, b"foo -NaN\n", 1, 5, 'expected float value, got "-NaN"'),
    (TEXT, b"foo 1e999\n", 1, 5, 'value "1e999" is out of float64 range'),
    (TEXT, b"foo 1 1.5\n", 1, 7, 'expected integer timestamp (milliseconds), got "1.5"'),
    (
        TEXT,
        b"foo 1 9223372036854775808\n",
        1,
        7,
        'timestamp "9223372036854775808" is out of int64 range',
    ),
    (TEXT, b"foo 1 2 x\n", 1, 8, 'expected end of line after timestamp, got " x"'),
    (TEXT, b"foo 1 \n", 1, 6, 'expected timestamp or end of line after value, got " "'),
    (TEXT, b"foo{a} 1\n", 1, 6, 'expected "=" after label name, got "}"'),
    (TEXT, b'metric_name{label="v", other}  1\n', 1, 29, 'expected "=" after label name, got "}"'),
    (TEXT, b"foo{a=b} 1\n", 1, 7, 'expected \'"\' to start label value, got "b"'),
    (TEXT, b'foo{a="b} 1\n', 1, 12, "expected '\"' to close label value, got end of line"),
    (
        TEXT,
        b'foo{a="\\t"} 1\n',
        1,
        8,
        'invalid escape sequence "\\\\t" in label value; expected \\\\, \\" or \\n',
    ),
    (TEXT, b'foo{a="1",a="2"} 1\n', 1, 11, 'duplicate label name "a"'),
    (TEXT, b'foo{__name__="bar"} 1\n', 1, 5, 'label name "__name__" is reserved'),
    (TEXT, b'foo{1a="x"} 1\n', 1, 5, 'expected label name or "}", got "1"'),
    (TEXT, b'foo{a="1" b="2"} 1\n', 1, 11, 'expected "," or "}" after label, got "b"'),
    (TEXT, b"# HELP foo one\n# HELP foo two\n", 2, 8, 'second HELP line for metric family "foo"'),
    (
        TEXT,
        b"# TYPE foo gauge\nfoo 1\n# TYPE foo counter\n",
        3,
        8,
        'second TYPE line for metric family "foo"',
    ),
    (
        TEXT,
        b"foo 1\n# TYPE foo counter\n",
        2,
        8,
        'TYPE line for metric family "foo" after its samples',
    ),
    (
        TEXT,
        b"# TYPE foo gauge_histogram\n",
        1,
        12,
        'unknown metric type "gauge_histogram"; '
        "expected counter, gauge, histogram, summary or untyped",
    ),
    (
        TEXT,
        b"# HELP foo bad \\t escape\n",
        1,
        16,
        'invalid escape sequence "\\\\t" in HELP text; expected \\\\, \\" or \\n',
    ),
    (
        TEXT,
        b'# TYPE h histogram\nh_bucket{le="x"} 1\n',
        2,
        13,
        'expected float as value of "le" label, got "x"',
    ),
    (
        TEXT,
        b'# TYPE s summary\ns{quantile="0.5x"} 1\n',
        2,
        12,
        'expected float as value of "quantile" label, got "0.5x"',
    ),
    (TEXT, b'foo{a="\xff"} 1\n', 1, 8, "invalid UTF-8 byte 0xff"),
    (
        TEXT,
        b'{a="b"} 1\n',
        1,
        2,
        'expected a quoted metric name in "{...}" (no metric name before it)',
    ),
    (TEXT, b'{"a","b"} 1\n', 1, 6, 'metric name given twice, got "b"'),
    (TEXT, b"foo 1\r\n", 1, 5, 'expected float value, got "1\\r"'),
    (TEXT, b"# HELP 1x foo\n", 1, 8, 'expected metric name after HELP, got "1"'),
    (TEXT, b'{""} 1\n', 1, 2, "metric name must not be empty"),
    (TEXT, b"foo 1\nbar\n", 2, 4, 'expected " " or "{" after metric name, got end of line'),
    (OPENMETRICS, b"foo 1\n", 2, 1, 'expected "# EOF" at end of input, got end of input'),
    (OPENMETRICS, b"# EOF\nfoo 1\n", 2, 1, 'expected end of input after "# EOF", got "f"'),
    (
        OPENMETRICS,
        b"foo 1\n\n# EOF\n",
        2,
        1,
        'expected metric name or "#", got end of line (OpenMetrics allows no blank lines)',
    ),
    (
        OPENMETRICS,
        b"# random comment\n# EOF\n",
        1,
        3,
        'expected HELP, TYPE, UNIT or EOF after "# " '
        '(OpenMetrics allows no other comments), got "random"',
    ),
    (
        OPENMETRICS,
        b"# TYPE c counter\nc 1\n# EOF\n",
        2,
        1,
        'expected a sample name "c_total" or "c_created" for counter family "c", got "c"',
    ),
    (OPENMETRICS, b"foo  1\n# EOF\n", 1, 5, 'expected value, got " "'),
    (
        OPENMETRICS,
        b'foo{a="1",} 1\n# EOF\n',
        1,
        11,
        'expected label name after ",", got "}" (OpenMetrics allows no trailing comma)',
    ),
    (
        OPENMETRICS,
        b"# TYPE foo gauge\n# UNIT foo seconds\n# EOF\n",
        2,
        12,
        'unit "seconds" is not a suffix of metric family "foo" '
        '(expected a name ending in "_seconds")',
    ),
    (
        OPENMETRICS,
        b"a 1\nb 1\na 2\n# EOF\n",
        3,
        1,
        'sample of metric family "a" after family "b" began (families must not be interleaved)',
    ),
    (
        OPENMETRICS,
        b"# TYPE a counter\na_total 1\n# TYPE b gauge\nb 1\na_created 2\n# EOF\n",
        5,
        1,
        'sample of metric family "a" after family "b" began (families must not be interleaved)',
    ),
    (
        OPENMETRICS,
        b'# TYPE g gauge\ng 1 # {trace_id="x"} 1\n# EOF\n',
        2,
        5,
        "exemplars are only allowed on counter _total and histogram _bucket samples, "
        'not on gauge sample "g"',
    ),
    (
        OPENMETRICS,
        b'# TYPE c counter\nc_total 1 # {id="' + b"x" * 130 + b'"} 1\n# EOF\n',
        2,
        13,
        "exemplar labels have 132 characters, at most 128 are allowed",
    ),
    (
        OPENMETRICS,
        b"a 1 abc\n# EOF\n",
        1,
        5,
        'expected timestamp in seconds (a decimal number), got "abc"',
    ),
    (
        OPENMETRICS,
        b"# TYPE h histogram\nh_bucket 1\n# EOF\n",
        2,
        1,
        'sample "h_bucket" needs a "le" label',
    ),
    (
        OPENMETRICS,
        b"# TYPE a gauge\n# TYPE a gauge\n# EOF\n",
        2,
        8,
        'second TYPE line for metric family "a"',
    ),
    (
        OPENMETRICS,
        b"# TYPE a untyped\n# EOF\n",
        1,
        10,
        'unknown metric type "untyped"; expected one of counter, gauge, gaugehistogram, '
        "histogram, info, stateset, summary, unknown",
    ),
    (OPENMETRICS, b" a 1\n# EOF\n", 1, 1, 'expected metric name or "#", got " "'),
    (OPENMETRICS, b"# EOF x\n", 1, 6, 'expected end of line after "# EOF", got " "'),
    (OPENMETRICS, b"a 1 2 3\n# EOF\n", 1, 7, 'expected "#" to start an exemplar, got "3"'),
    (OPENMETRICS, b"a 1\n# EOF\n# EOF\n", 3, 1, 'expected end of input after "# EOF", got "#"'),
    (OPENMETRICS, b"#TYPE a gauge\n# EOF\n", 1, 2, 'expected " " after "#", got "T"'),
]


@pytest.mark.parametrize(("fmt", "payload", "line", "col", "reason"), CASES)
def test_error_position_and_message(
    fmt: ExpositionFormat, payload: bytes, line: int, col: int, reason: str
) -> None:
    for parser in (parse, parse_exact):
        with pytest.raises(ParseError) as info:
            parser(payload, fmt)
        err = info.value
        assert (err.line, err.col, err.reason) == (line, col, reason)
        assert str(err) == f"line {line}, col {col}: {reason}"


def test_error_tree() -> None:
    with pytest.raises(ParseError) as info:
        parse(b"foo{a} 1\n")
    assert isinstance(info.value, ExpositionError)
    assert isinstance(info.value, LabError)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == 'line 1, col 6: expected "=" after label name, got "}"'


def test_error_after_many_valid_lines_points_at_the_right_line() -> None:
    body = "".join(f'ok{{i="{i}"}} {i}\n' for i in range(5000))
    with pytest.raises(ParseError) as info:
        parse(body + "bad{i=1} 1\n" + body)
    assert (info.value.line, info.value.col) == (5001, 7)
    # a semantic error found after lexing is located the same way
    with pytest.raises(ParseError) as info:
        parse(body + "# TYPE ok gauge\n")
    assert info.value.line == 5001
    assert "after its samples" in info.value.reason


def test_invalid_utf8_column_counts_characters() -> None:
    with pytest.raises(ParseError) as info:
        parse('ok 1\nné{a="é'.encode() + b"\xc3\x28" + b'"} 1\n')
    assert (info.value.line, info.value.col) == (2, 8)
    assert info.value.reason == "invalid UTF-8 byte 0xc3"


def test_lone_surrogate_in_str_input_is_invalid_utf8() -> None:
    with pytest.raises(ParseError, match="line 1, col 8: invalid character U\\+D800"):
        parse('foo{a="\ud800"} 1\n')


@pytest.mark.parametrize(
    "payload",
    [
        b"foo 1\n# EOF",  # no final newline after EOF is allowed
        b"# EOF\n",
        b"# EOF",
    ],
)
def test_openmetrics_eof_forms(payload: bytes) -> None:
    parse(payload, OPENMETRICS)
