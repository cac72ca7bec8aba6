"""Go's shortest float formats ('f', 'g'/%v, 'e'/'E', and the 1e21 variant), as tables."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.model.gofloat import (
    format_e,
    format_f,
    format_g,
    format_g21,
    format_json,
    format_openmetrics,
    shortest_digits,
)

INF = math.inf
NAN = math.nan
MAX = 1.7976931348623157e308
TINY = 5e-324

# value, 'f', 'g' (%v), the 1e21 variant, 'e'
TABLE = [
    (0.0, "0", "0", "0", "0e+00"),
    (-0.0, "-0", "-0", "-0", "-0e+00"),
    (1.0, "1", "1", "1", "1e+00"),
    (-23.0, "-23", "-23", "-23", "-2.3e+01"),
    (1.5, "1.5", "1.5", "1.5", "1.5e+00"),
    (0.1, "0.1", "0.1", "0.1", "1e-01"),
    (1 / 3, "0.3333333333333333", "0.3333333333333333", "0.3333333333333333",
     "3.333333333333333e-01"),
    (0.0001, "0.0001", "0.0001", "0.0001", "1e-04"),
    (0.00001, "0.00001", "1e-05", "1e-05", "1e-05"),
    (-0.000015, "-0.000015", "-1.5e-05", "-1.5e-05", "-1.5e-05"),
    (100000.0, "100000", "100000", "100000", "1e+05"),
    (123456.0, "123456", "123456", "123456", "1.23456e+05"),
    (999999.9999999999, "999999.9999999999", "999999.9999999999", "999999.9999999999",
     "9.999999999999999e+05"),
    (1e6, "1000000", "1e+06", "1000000", "1e+06"),
    (1234567.0, "1234567", "1.234567e+06", "1234567", "1.234567e+06"),
    (-1e8, "-100000000", "-1e+08", "-100000000", "-1e+08"),
    (2.0**53, "9007199254740992", "9.007199254740992e+15", "9007199254740992",
     "9.007199254740992e+15"),
    (1e16, "10000000000000000", "1e+16", "10000000000000000", "1e+16"),
    (9.223372036854776e18, "9223372036854776000", "9.223372036854776e+18",
     "9223372036854776000", "9.223372036854776e+18"),
    (1e20, "100000000000000000000", "1e+20", "100000000000000000000", "1e+20"),
    (1e21, "1000000000000000000000", "1e+21", "1e+21", "1e+21"),
    (1.5e300, "15" + "0" * 299, "1.5e+300", "1.5e+300", "1.5e+300"),
    (MAX, "17976931348623157" + "0" * 292, "1.7976931348623157e+308",
     "1.7976931348623157e+308", "1.7976931348623157e+308"),
    (TINY, "0." + "0" * 323 + "5", "5e-324", "5e-324", "5e-324"),
    (INF, "+Inf", "+Inf", "+Inf", "+Inf"),
    (-INF, "-Inf", "-Inf", "-Inf", "-Inf"),
    (NAN, "NaN", "NaN", "NaN", "NaN"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "f", "g", "g21", "e"), TABLE)
def test_formats(value: float, f: str, g: str, g21: str, e: str) -> None:
    assert format_f(value) == f
    assert format_g(value) == g
    assert format_g21(value) == g21
    assert format_e(value) == e
    assert format_e(value, upper=True) == e.replace("e", "E").replace("InE", "Inf")


@pytest.mark.parametrize(
    ("value", "digits", "exp"),
    [(1234.5, "12345", 3), (0.0001, "1", -4), (1e-5, "1", -5), (1.5e20, "15", 20),
     (-7.0, "7", 0), (100.0, "1", 2), (0.25, "25", -1), (TINY, "5", -324)],
)  # fmt: skip
def test_shortest_digits(value: float, digits: str, exp: int) -> None:
    assert shortest_digits(value) == (digits, exp)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_round_trip(value: float) -> None:
    for fmt in (format_f, format_g, format_g21, format_e, format_json, format_openmetrics):
        text = fmt(value)
        assert float(text) == value and math.copysign(1, float(text)) == math.copysign(1, value)


@pytest.mark.parametrize(
    ("value", "json", "openmetrics"),
    [(0.0, "0", "0.0"), (-0.0, "-0", "-0.0"), (1.0, "1", "1.0"), (0.25, "0.25", "0.25"),
     (100000.0, "100000", "100000.0"), (1e6, "1000000", "1e+06"), (1e-5, "0.00001", "1e-05"),
     (1e-6, "0.000001", "1e-06"), (1.5e-7, "1.5e-07", "1.5e-07"), (-1e-7, "-1e-07", "-1e-07"),
     (1e20, "100000000000000000000", "1e+20"), (1e21, "1e+21", "1e+21"),
     (INF, "+Inf", "+Inf"), (-INF, "-Inf", "-Inf"), (NAN, "NaN", "NaN")],
)  # fmt: skip
def test_json_and_openmetrics(value: float, json: str, openmetrics: str) -> None:
    assert format_json(value) == json
    assert format_openmetrics(value) == openmetrics
