"""Time and duration parameters as Prometheus parses them."""

from __future__ import annotations

import pytest

from lab.server.api.params import (
    MAX_TIME_MS,
    MIN_TIME_MS,
    Form,
    go_parse_float,
    parse_duration_ms,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1700000000", 1_700_000_000_000),
        ("1700000060.5", 1_700_000_060_500),
        ("1700000060.1234", 1_700_000_060_123),
        ("1700000060.1235", 1_700_000_060_124),
        ("1.7e9", 1_700_000_000_000),
        ("-1.5", -1500),
        ("0x1p4", 16_000),
        ("2023-11-14T22:13:20Z", 1_700_000_000_000),
        ("2023-11-14T22:14:20.5Z", 1_700_000_060_500),
        ("2023-11-14T23:13:20+01:00", 1_700_000_000_000),
        ("2023-11-14T22:13:20.123456789Z", 1_700_000_000_123),
        ("-292273086-05-16T16:47:06Z", MIN_TIME_MS),
        ("292277025-08-18T07:12:54.999999999Z", MAX_TIME_MS),
    ],
)
def test_parse_time(text: str, ms: int) -> None:
    assert parse_time(text) == ms


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1e400", "2023-11-14", "2023-11-14 22:13:20Z", "1_000", "NaN", "Inf", "0x10"],
)
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="to a valid timestamp"):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("15", 15_000.0), ("0.5", 500.0), ("1m", 60_000.0), ("1h30m", 5_400_000.0), ("0", 0.0),
     ("1d", 86_400_000.0), ("250ms", 250.0), ("-1", -1000.0), ("1e-4", 0.1)],
)  # fmt: skip
def test_parse_duration(text: str, ms: float) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "x", "1.5m", "m", "1e300"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="to a valid duration"):
        parse_duration_ms(text)


def test_go_parse_float() -> None:
    assert go_parse_float("+Inf") == float("inf")
    assert go_parse_float("infinity") == float("inf")
    assert go_parse_float("1e400") is None
    assert go_parse_float("1_0") is None
    assert go_parse_float(".5") == 0.5
    assert go_parse_float("5.") == 5.0
    assert go_parse_float("0x1p-2") == 0.25


def test_form_precedence() -> None:
    form = Form({"a": ["body"]}, {"a": ["url"], "b": ["u"]})
    assert form.get("a") == "body"
    assert form.get("b") == "u"
    assert form.getall("a") == ["body", "url"]
    assert form.get("missing") == ""
