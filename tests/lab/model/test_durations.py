"""Prometheus model durations and Go time.Duration: parse and format, as tables."""

from __future__ import annotations

import pytest

from lab.model.durations import (
    MAX_MODEL_DURATION_MS,
    format_go_duration_ns,
    format_model_duration_ms,
    parse_go_duration_ns,
    parse_model_duration_ms,
)
from lab.model.errors import DurationError, LabError

S = 1000
M = 60 * S
H = 60 * M
D = 24 * H

MODEL_OK = [
    ("0", 0),
    ("0s", 0),
    ("1h0m", H),
    ("10ms", 10),
    ("5m", 5 * M),
    ("1h30m", 90 * M),
    ("1h2m3s4ms", H + 2 * M + 3 * S + 4),
    ("10s53ms", 10 * S + 53),
    ("1d", D),
    ("2w", 14 * D),
    ("1y", 365 * D),
    ("1y2w3d4h5m6s7ms", 365 * D + 14 * D + 3 * D + 4 * H + 5 * M + 6 * S + 7),
    ("90d", 90 * D),
    ("120s", 120 * S),
    ("106751d", 106751 * D),
]

MODEL_ERRORS = [
    ("", "empty", "empty duration string"),
    ("5", "invalid", 'not a valid duration string: "5"'),
    ("00", "invalid", 'not a valid duration string: "00"'),
    ("5m1h", "invalid", 'not a valid duration string: "5m1h"'),
    ("5m1m", "invalid", 'not a valid duration string: "5m1m"'),
    ("1m1h", "invalid", 'not a valid duration string: "1m1h"'),
    ("30s1m", "invalid", 'not a valid duration string: "30s1m"'),
    ("1.5m", "invalid", 'not a valid duration string: "1.5m"'),
    ("-5m", "invalid", 'not a valid duration string: "-5m"'),
    (" 5m", "invalid", 'not a valid duration string: " 5m"'),
    ("5m ", "invalid", 'not a valid duration string: "5m "'),
    ("5m\n", "invalid", 'not a valid duration string: "5m\\n"'),
    ("m", "invalid", 'not a valid duration string: "m"'),
    ("٣d", "invalid", 'not a valid duration string: "٣d"'),  # ASCII digits only
    ("5y1hs", "unit", 'unknown unit "hs" in duration "5y1hs"'),
    ("15x", "unit", 'unknown unit "x" in duration "15x"'),
    ("1M", "unit", 'unknown unit "M" in duration "1M"'),
    ("1us", "unit", 'unknown unit "us" in duration "1us"'),
    ("293y", "range", "duration out of range"),
    ("106752d", "range", "duration out of range"),
    ("99999999999999999999ms", "range", "duration out of range"),
]


@pytest.mark.parametrize(("text", "ms"), MODEL_OK)
def test_parse_model_duration(text: str, ms: int) -> None:
    assert parse_model_duration_ms(text) == ms


@pytest.mark.parametrize(("text", "reason", "message"), MODEL_ERRORS)
def test_parse_model_duration_errors(text: str, reason: str, message: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_model_duration_ms(text)
    assert (info.value.reason, str(info.value)) == (reason, message)
    assert isinstance(info.value, LabError) and isinstance(info.value, ValueError)


def test_model_range_limit() -> None:
    assert parse_model_duration_ms(f"{MAX_MODEL_DURATION_MS}ms") == MAX_MODEL_DURATION_MS
    with pytest.raises(DurationError, match="out of range"):
        parse_model_duration_ms(f"{MAX_MODEL_DURATION_MS + 1}ms")


MODEL_FORMAT = [
    (0, "0s", "0s"),
    (1, "1ms", "1ms"),
    (500, "500ms", "500ms"),
    (S, "1s", "1s"),
    (90 * S, "1m30s", "1m30s"),
    (90 * M, "1h30m", "1h30m"),
    (H + 500, "1h500ms", "1h500ms"),
    (D, "1d", "1d"),
    (8 * D, "1w1d", "8d"),
    (14 * D, "2w", "2w"),
    (90 * D, "12w6d", "90d"),
    (365 * D, "1y", "1y"),
    (366 * D, "1y1d", "366d"),
    (-5 * M, "-5m", "-5m"),
    (-(H + 1), "-1h1ms", "-1h1ms"),
]


@pytest.mark.parametrize(("ms", "text", "exact"), MODEL_FORMAT)
def test_format_model_duration(ms: int, text: str, exact: str) -> None:
    assert format_model_duration_ms(ms) == text
    assert format_model_duration_ms(ms, exact_years_weeks=True) == exact
    if ms >= 0:
        assert parse_model_duration_ms(text) == ms == parse_model_duration_ms(exact)


NS = 1
US = 1000
MS_NS = 1000 * US
S_NS = 1000 * MS_NS

GO_OK = [
    ("0", 0),
    ("-0", 0),
    ("+0", 0),
    ("0s", 0),
    ("5s", 5 * S_NS),
    ("30s", 30 * S_NS),
    ("1478s", 1478 * S_NS),
    ("-5s", -5 * S_NS),
    ("+5s", 5 * S_NS),
    ("5.0s", 5 * S_NS),
    ("5.6s", 5600 * MS_NS),
    ("5.s", 5 * S_NS),
    (".5s", 500 * MS_NS),
    ("1.0s", S_NS),
    ("1.00s", S_NS),
    ("1.004s", 1004 * MS_NS),
    ("100.00100s", 100001 * MS_NS),
    ("10ns", 10),
    ("11us", 11 * US),
    ("12µs", 12 * US),
    ("12μs", 12 * US),
    ("13ms", 13 * MS_NS),
    ("14s", 14 * S_NS),
    ("15m", 15 * 60 * S_NS),
    ("16h", 16 * 3600 * S_NS),
    ("3h30m", (3 * 3600 + 1800) * S_NS),
    ("10.5s4m", (4 * 60 + 10) * S_NS + 500 * MS_NS),
    ("-2m3.4s", -(2 * 60 * S_NS + 3400 * MS_NS)),
    ("1h2m3s4ms5us6ns", 3723 * S_NS + 4 * MS_NS + 5 * US + 6),
    ("39h9m14.425s", (39 * 3600 + 9 * 60 + 14) * S_NS + 425 * MS_NS),
    ("52763797000ns", 52763797000),
    ("0.3333333333333333333h", 20 * 60 * S_NS),
    ("9007199254740993ns", (1 << 53) + 1),
    ("9223372036854775807ns", (1 << 63) - 1),
    ("9223372036.854775807s", (1 << 63) - 1),
    ("-9223372036854775808ns", -(1 << 63)),
    ("0.100000000000000000000h", 6 * 60 * S_NS),
    ("0.830103483285477580700h", (49 * 60 + 48) * S_NS + 372539827),
    ("1h1h", 2 * 3600 * S_NS),  # any order, repeats allowed
    ("1.5h", 5400 * S_NS),
    ("300ms", 300 * MS_NS),
]

GO_ERRORS = [
    ("", "invalid", 'time: invalid duration ""'),
    ("3", "missing_unit", 'time: missing unit in duration "3"'),
    ("-", "invalid", 'time: invalid duration "-"'),
    ("s", "invalid", 'time: invalid duration "s"'),
    (".", "invalid", 'time: invalid duration "."'),
    ("-.", "invalid", 'time: invalid duration "-."'),
    (".s", "invalid", 'time: invalid duration ".s"'),
    ("+.s", "invalid", 'time: invalid duration "+.s"'),
    ("1d", "unit", 'time: unknown unit "d" in duration "1d"'),
    ("1x", "unit", 'time: unknown unit "x" in duration "1x"'),
    ("\x85\x85", "invalid", 'time: invalid duration "\\xc2\\x85\\xc2\\x85"'),
    ("\xffff", "invalid", 'time: invalid duration "\\xc3\\xbfff"'),
    ("hello \xffff world", "invalid", 'time: invalid duration "hello \\xc3\\xbfff world"'),
    ("9223372036854775808ns", "range", 'time: invalid duration "9223372036854775808ns"'),
    ("9223372036854775.808us", "range", 'time: invalid duration "9223372036854775.808us"'),
    ("9223372036854ms775us808ns", "range", 'time: invalid duration "9223372036854ms775us808ns"'),
    ("-9223372036854775809ns", "range", 'time: invalid duration "-9223372036854775809ns"'),
    ("99999999999999999999h", "range", 'time: invalid duration "99999999999999999999h"'),
]


@pytest.mark.parametrize(("text", "ns"), GO_OK)
def test_parse_go_duration(text: str, ns: int) -> None:
    assert parse_go_duration_ns(text) == ns


@pytest.mark.parametrize(("text", "reason", "message"), GO_ERRORS)
def test_parse_go_duration_errors(text: str, reason: str, message: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_go_duration_ns(text)
    assert (info.value.reason, str(info.value)) == (reason, message)


@pytest.mark.parametrize(
    ("text", "ns"),
    [("1d", 86400 * S_NS), ("1w", 7 * 86400 * S_NS), ("1y", 365 * 86400 * S_NS),
     ("1d12h", 36 * 3600 * S_NS), ("1.5d", 36 * 3600 * S_NS), ("5m", 300 * S_NS)],
)  # fmt: skip
def test_parse_go_duration_day_units(text: str, ns: int) -> None:
    assert parse_go_duration_ns(text, day_units=True) == ns


GO_FORMAT = [
    (0, "0s"),
    (1, "1ns"),
    (1100, "1.1µs"),
    (1500, "1.5µs"),
    (2200 * US, "2.2ms"),
    (500 * MS_NS, "500ms"),
    (3300 * MS_NS, "3.3s"),
    (S_NS, "1s"),
    (60 * S_NS, "1m0s"),
    (3600 * S_NS, "1h0m0s"),
    (4 * 60 * S_NS + 5001 * MS_NS, "4m5.001s"),
    (5 * 3600 * S_NS + 6 * 60 * S_NS + 7001 * MS_NS, "5h6m7.001s"),
    (8 * 60 * S_NS + 1, "8m0.000000001s"),
    (3723 * S_NS + 500 * MS_NS, "1h2m3.5s"),
    ((1 << 63) - 1, "2562047h47m16.854775807s"),
    (-(1 << 63), "-2562047h47m16.854775808s"),
    (-1500 * MS_NS, "-1.5s"),
    (-1, "-1ns"),
]


@pytest.mark.parametrize(("ns", "text"), GO_FORMAT)
def test_format_go_duration(ns: int, text: str) -> None:
    assert format_go_duration_ns(ns) == text
    assert parse_go_duration_ns(text) == ns
