"""Content negotiation (Accept -> format) and Content-Type -> parser."""

from __future__ import annotations

import pytest

from exporters.common.exposition import (
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    Escaping,
    ExpositionFormat,
    format_for_content_type,
    negotiate,
    parse_accept,
)

TEXT = ExpositionFormat.TEXT
OPENMETRICS = ExpositionFormat.OPENMETRICS

# What Prometheus 3.x sends by default (scrape_protocols: OpenMetricsText1.0.0,
# OpenMetricsText0.0.1, PrometheusText1.0.0, PrometheusText0.0.4).
PROMETHEUS_3 = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
    "application/openmetrics-text;version=0.0.1;q=0.4,"
    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
    "text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)


def test_content_type_strings() -> None:
    assert TEXT_CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"
    assert OPENMETRICS_CONTENT_TYPE == "application/openmetrics-text; version=1.0.0; charset=utf-8"


@pytest.mark.parametrize(
    ("accept", "fmt", "escaping", "content_type"),
    [
        (None, TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        ("", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        ("*/*", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        ("text/plain", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        ("text/plain; version=0.0.4", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        (
            "application/openmetrics-text",
            OPENMETRICS,
            Escaping.UNDERSCORES,
            OPENMETRICS_CONTENT_TYPE,
        ),
        (
            PROMETHEUS_3,
            OPENMETRICS,
            Escaping.ALLOW_UTF8,
            OPENMETRICS_CONTENT_TYPE + "; escaping=allow-utf-8",
        ),
        # q-values win over header order; equal q keeps header order
        (
            "text/plain;q=0.2, application/openmetrics-text;q=0.9",
            OPENMETRICS,
            Escaping.UNDERSCORES,
            OPENMETRICS_CONTENT_TYPE,
        ),
        (
            "application/openmetrics-text;q=0.1, text/plain",
            TEXT,
            Escaping.UNDERSCORES,
            TEXT_CONTENT_TYPE,
        ),
        ("text/plain, application/openmetrics-text", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        # versions we do not speak are skipped; q=0 means "not acceptable"
        (
            "application/openmetrics-text; version=2.0.0",
            TEXT,
            Escaping.UNDERSCORES,
            TEXT_CONTENT_TYPE,
        ),
        ("application/openmetrics-text;q=0", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        ("application/openmetrics-text;q=bogus", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        (
            "application/openmetrics-text; version=0.0.1",
            OPENMETRICS,
            Escaping.UNDERSCORES,
            "application/openmetrics-text; version=0.0.1; charset=utf-8",
        ),
        # Prometheus 3's text format with UTF-8 names; unknown escaping is ignored
        (
            "text/plain;version=1.0.0;escaping=allow-utf-8",
            TEXT,
            Escaping.ALLOW_UTF8,
            "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
        ),
        ("text/plain;version=0.0.4;escaping=bogus", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
        (
            'TEXT/Plain; Version="0.0.4"; escaping=dots',
            TEXT,
            Escaping.DOTS,
            TEXT_CONTENT_TYPE + "; escaping=dots",
        ),
        ("application/json, image/png", TEXT, Escaping.UNDERSCORES, TEXT_CONTENT_TYPE),
    ],
)
def test_negotiate(
    accept: str | None, fmt: ExpositionFormat, escaping: Escaping, content_type: str
) -> None:
    chosen = negotiate(accept)
    assert (chosen.format, chosen.escaping, chosen.content_type) == (fmt, escaping, content_type)


def test_negotiate_without_openmetrics_serves_text() -> None:
    assert negotiate(PROMETHEUS_3, openmetrics=False).content_type == (
        "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
    )
    assert negotiate("application/openmetrics-text", openmetrics=False).format is TEXT


def test_parse_accept_orders_by_q_then_specificity() -> None:
    ranges = parse_accept('*/*;q=0.5, text/*;q=0.5, text/plain;q=0.5;x="a,b", a/b')
    assert [r.type for r in ranges] == ["a/b", "text/plain", "text/*", "*/*"]
    assert ranges[1].params == {"x": "a,b"}


@pytest.mark.parametrize(
    ("content_type", "fmt"),
    [
        ("text/plain; version=0.0.4; charset=utf-8", TEXT),
        ("text/plain", TEXT),
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", OPENMETRICS),
        ("Application/OpenMetrics-Text", OPENMETRICS),
        ("application/json", None),
        ("", None),
        (None, None),
    ],
)
def test_format_for_content_type(content_type: str | None, fmt: ExpositionFormat | None) -> None:
    assert format_for_content_type(content_type) is fmt
