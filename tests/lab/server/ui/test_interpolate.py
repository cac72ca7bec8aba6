"""Template variables and built-in intervals, as Grafana's Prometheus data source."""

from __future__ import annotations

import pytest

from lab.server.ui.interpolate import (
    Selection,
    interpolate,
    legend,
    parse_time,
    query_window,
    regex_escape,
)

NOW = 1_772_478_000_000  # 2026-03-02T19:00:00Z


@pytest.mark.parametrize(
    "text, expected",
    [
        ('up{job="$job"}', 'up{job="api"}'),
        ('up{job="${job}"}', 'up{job="api"}'),
        ('up{job="[[job]]"}', 'up{job="api"}'),
        ('up{i=~"$inst"}', 'up{i=~"(a\\\\.b:1|c:2)"}'),
        ('up{i=~"${inst:pipe}"}', 'up{i=~"a.b:1|c:2"}'),
        ('up{i=~"${inst:csv}"}', 'up{i=~"a.b:1,c:2"}'),
        ('up{i=~"$all"}', 'up{i=~".+"}'),  # allValue verbatim
        ('up{i=~"$allnovalue"}', 'up{i=~"(x|y)"}'),  # every option
        ('up{i=~"$emptyall"}', 'up{i=~".*"}'),
        ('up{x=~"a$"} $unknown', 'up{x=~"a$"} $unknown'),
        ("rate(x[$__rate_interval])", "rate(x[1m])"),
    ],
)
def test_interpolate(text: str, expected: str) -> None:
    values = {
        "job": Selection(("api",)),
        "inst": Selection(("a.b:1", "c:2"), multi=True),
        "all": Selection(("x", "y"), all=True, all_value=".+"),
        "allnovalue": Selection(("x", "y"), all=True),
        "emptyall": Selection((), all=True),
    }
    builtins = query_window(NOW - 3_600_000, NOW, scrape_interval_ms=15_000).builtins
    assert interpolate(text, values, builtins) == expected


def test_regex_escape_inside_promql_strings() -> None:
    assert regex_escape("a.b") == "a\\\\.b"
    assert regex_escape("a\\b") == "a\\\\\\\\b"


def test_query_window_follows_grafana() -> None:
    w = query_window(NOW - 6 * 3_600_000, NOW, scrape_interval_ms=15_000, max_data_points=600)
    # 6h / 600 px = 36s -> the next nice step, 1m; rate interval max(1m + 15s, 4 x 15s, 1m)
    assert w.step_ms == 60_000
    assert w.builtins["__interval"] == "1m"
    assert w.builtins["__rate_interval"] == "75s"
    assert w.builtins["__range"] == "21600s"
    assert w.start_ms % w.step_ms == 0 and w.end_ms <= NOW
    short = query_window(NOW - 600_000, NOW, scrape_interval_ms=30_000, max_data_points=600)
    assert short.step_ms == 30_000  # never below the scrape interval
    assert short.builtins["__rate_interval"] == "2m"
    pinned = query_window(NOW - 600_000, NOW, scrape_interval_ms=15_000, min_interval=">2m")
    assert pinned.step_ms == 120_000
    huge = query_window(0, 400 * 86_400_000, scrape_interval_ms=1_000, max_data_points=10**9)
    assert (huge.end_ms - huge.start_ms) // huge.step_ms <= 11_000


@pytest.mark.parametrize(
    "text, expected",
    [
        ("now", NOW),
        ("now-6h", NOW - 6 * 3_600_000),
        ("now-1d/d", NOW - 86_400_000 - (NOW - 86_400_000) % 86_400_000),
        ("1772478000000", NOW),
        ("2026-03-02T19:00:00Z", NOW),
        ("yesterday", None),
    ],
)
def test_parse_time(text: str, expected: int | None) -> None:
    assert parse_time(text, NOW) == expected


def test_legend() -> None:
    labels = {"__name__": "up", "job": "api", "instance": "h:1"}
    assert legend("{{job}} on {{ instance }}", labels) == "api on h:1"
    assert legend("", labels) == 'up{instance="h:1", job="api"}'
    assert legend("__auto", {}, "A") == "A"
