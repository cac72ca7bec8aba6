"""Value, timestamp and string encoding as Prometheus writes them."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lab.server.api.encode import (
    format_timestamp,
    format_value,
    format_values,
    json_string,
    strip_integral,
)

# (value, Prometheus's text): Go's FormatFloat 'f' -1, 'e' below 1e-6 / from 1e21.
VALUES = [
    (1.0, "1"),
    (0.1, "0.1"),
    (-0.0, "-0"),
    (0.0, "0"),
    (1e-7, "1e-07"),
    (1e-6, "0.000001"),
    (1.5e-5, "0.000015"),
    (1e21, "1e+21"),
    (1e20, "100000000000000000000"),
    (123456789012345678.0, "123456789012345680"),
    (2.5e-300, "2.5e-300"),
    (math.inf, "+Inf"),
    (-math.inf, "-Inf"),
    (math.nan, "NaN"),
    (1234.5678, "1234.5678"),
    (-3.0, "-3"),
]


def test_format_value() -> None:
    for value, text in VALUES:
        assert format_value(value) == text, value


def test_format_values_matches_format_value() -> None:
    values = np.array([v for v, _ in VALUES])
    got = [strip_integral(p + '"')[:-1] for p in format_values(values)]
    assert got == [t for _, t in VALUES]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_format_values_property(values: list[float]) -> None:
    arr = np.array(values, dtype=np.float64)
    got = [strip_integral(p + '"')[:-1] for p in format_values(arr)]
    assert got == [format_value(v) for v in values]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_value_round_trips(value: float) -> None:
    assert float(format_value(value)) == value


def test_timestamps() -> None:
    assert format_timestamp(1_700_000_060_500) == "1700000060.500"
    assert format_timestamp(1_700_000_060_000) == "1700000060"
    assert format_timestamp(1_700_000_060_007) == "1700000060.007"
    assert format_timestamp(-1500) == "-1.500"
    assert format_timestamp(0) == "0"


def test_json_string_is_go_escaped() -> None:
    assert json_string("plain") == '"plain"'
    assert json_string("<&>") == '"\\u003c\\u0026\\u003e"'
    assert json_string('a"b\\c\n') == '"a\\"b\\\\c\\n"'
    assert json_string("\b\f\x01\u2028") == '"\\u0008\\u000c\\u0001\\u2028"'
    assert json_string("ünïcode") == '"ünïcode"'
