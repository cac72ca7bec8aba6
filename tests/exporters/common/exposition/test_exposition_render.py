"""Rendering: Go-compatible numbers, escaping, both formats, round trips."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pytest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
    SummaryMetricFamily,
)
from prometheus_client.samples import Exemplar, Timestamp

from exporters.common.exposition import (
    Escaping,
    ExpositionFormat,
    RenderError,
    escape_name,
    format_float,
    format_float_openmetrics,
    parse,
    parse_openmetrics,
    parse_text,
    render,
    render_batch,
)
from exporters.common.exposition.numbers import format_seconds_timestamp
from tests.exporters.common.exposition.helpers import DATA, assert_same, rows, without_empty_labels

TEXT = ExpositionFormat.TEXT
OPENMETRICS = ExpositionFormat.OPENMETRICS

# What Go's strconv.FormatFloat(f, 'g', -1, 64) prints (and Prometheus exposes).
GO_FLOATS = [
    (0.0, "0"),
    (-0.0, "-0"),
    (1.0, "1"),
    (-1.5, "-1.5"),
    (0.1, "0.1"),
    (100000.0, "100000"),
    (123456.7, "123456.7"),
    (999999.0, "999999"),
    (1e6, "1e+06"),
    (1234567.0, "1.234567e+06"),
    (123456789.0, "1.23456789e+08"),
    (1.6624308224e10, "1.6624308224e+10"),
    (2.0**53, "9.007199254740992e+15"),
    (1e21, "1e+21"),
    (0.0001, "0.0001"),
    (0.00012345, "0.00012345"),
    (0.00001, "1e-05"),
    (1.5e-05, "1.5e-05"),
    (1 / 3, "0.3333333333333333"),
    (0.018000000000000002, "0.018000000000000002"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (5e-324, "5e-324"),
    (math.inf, "+Inf"),
    (-math.inf, "-Inf"),
    (math.nan, "NaN"),
]


@pytest.mark.parametrize(("value", "text"), GO_FLOATS)
def test_format_float_matches_go(value: float, text: str) -> None:
    assert format_float(value) == text
    parsed = float(text.replace("Inf", "inf"))
    assert parsed == value or (math.isnan(parsed) and math.isnan(value))


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1.0"), (0.0, "0.0"), (100000.0, "100000.0"), (1e6, "1e+06"), (0.5, "0.5")],
)
def test_openmetrics_floats_always_look_like_floats(value: float, text: str) -> None:
    assert format_float_openmetrics(value) == text


@pytest.mark.parametrize(
    ("ms", "text"),
    [(1520879607789, "1520879607.789"), (1000, "1"), (1500, "1.5"), (-1500, "-1.5"), (7, "0.007")],
)
def test_openmetrics_timestamps_are_exact_seconds(ms: int, text: str) -> None:
    assert format_seconds_timestamp(ms) == text


def _collect(*metrics: Metric) -> Iterable[Metric]:
    return list(metrics)


def _families() -> list[Metric]:
    counter = CounterMetricFamily("http_requests", "Requests.", labels=["method", "code"])
    counter.add_metric(["get", "200"], 1027)
    counter.add_metric(["post", "400"], 3, timestamp=Timestamp(1395066363, 0))
    gauge = GaugeMetricFamily("temp_celsius", 'Help with \\ "quotes"\nand lines.', unit="celsius")
    gauge.add_metric([], 1e6)
    hist = HistogramMetricFamily("lat_seconds", "Latency.", labels=["path"])
    hist.add_metric(["/a"], buckets=[("0.1", 1), ("+Inf", 3)], sum_value=0.75)
    summary = SummaryMetricFamily("rpc_seconds", "RPC.", count_value=4, sum_value=1.5)
    info = InfoMetricFamily("build", "Build.", value={"version": "1.0"})
    states = StateSetMetricFamily("mode", "Mode.", value={"on": True, "off": False})
    return [counter, gauge, hist, summary, info, states]


def test_render_text_from_collectors() -> None:
    assert render(_families()).decode() == (
        "# HELP http_requests_total Requests.\n"
        "# TYPE http_requests_total counter\n"
        'http_requests_total{code="200",method="get"} 1027\n'
        'http_requests_total{code="400",method="post"} 3 1395066363000\n'
        '# HELP temp_celsius Help with \\\\ "quotes"\\nand lines.\n'
        "# TYPE temp_celsius gauge\n"
        "temp_celsius 1e+06\n"
        "# HELP lat_seconds Latency.\n"
        "# TYPE lat_seconds histogram\n"
        'lat_seconds_bucket{le="0.1",path="/a"} 1\n'
        'lat_seconds_bucket{le="+Inf",path="/a"} 3\n'
        'lat_seconds_count{path="/a"} 3\n'
        'lat_seconds_sum{path="/a"} 0.75\n'
        "# HELP rpc_seconds RPC.\n"
        "# TYPE rpc_seconds summary\n"
        "rpc_seconds_count 4\n"
        "rpc_seconds_sum 1.5\n"
        "# HELP build_info Build.\n"
        "# TYPE build_info gauge\n"
        'build_info{version="1.0"} 1\n'
        "# HELP mode Mode.\n"
        "# TYPE mode gauge\n"
        'mode{mode="off"} 0\n'
        'mode{mode="on"} 1\n'
    )


def test_render_openmetrics_from_collectors() -> None:
    text = render(_families(), OPENMETRICS).decode()
    assert text.startswith(
        "# HELP http_requests Requests.\n"
        "# TYPE http_requests counter\n"
        'http_requests_total{code="200",method="get"} 1027.0\n'
        'http_requests_total{code="400",method="post"} 3.0 1395066363\n'
        '# HELP temp_celsius Help with \\\\ \\"quotes\\"\\nand lines.\n'
        "# TYPE temp_celsius gauge\n"
        "# UNIT temp_celsius celsius\n"
        "temp_celsius 1e+06\n"
    )
    assert text.endswith('# TYPE mode stateset\nmode{mode="off"} 0.0\nmode{mode="on"} 1.0\n# EOF\n')
    batch = parse_openmetrics(text)
    assert [f.type for f in batch.families] == [
        "counter",
        "gauge",
        "histogram",
        "summary",
        "info",
        "stateset",
    ]


def test_created_and_gauge_histogram_samples_split_off_in_text() -> None:
    counter = CounterMetricFamily("jobs", "Jobs.", value=5, created=1700000000.5)
    gh = GaugeHistogramMetricFamily("queue", "Queue.", buckets=[("+Inf", 4)], gsum_value=9)
    assert render([counter, gh]).decode() == (
        "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 5\n"
        "# HELP jobs_created Jobs.\n# TYPE jobs_created gauge\njobs_created 1.7000000005e+09\n"
        '# HELP queue Queue.\n# TYPE queue histogram\nqueue_bucket{le="+Inf"} 4\n'
        "# HELP queue_gcount Queue.\n# TYPE queue_gcount gauge\nqueue_gcount 4\n"
        "# HELP queue_gsum Queue.\n# TYPE queue_gsum gauge\nqueue_gsum 9\n"
    )
    parse_text(render([counter, gh]))  # and it is valid


def test_label_values_escape_quotes_but_text_help_does_not() -> None:
    gauge = GaugeMetricFamily("g", 'a "b" \\ c\nd', labels=["v"])
    gauge.add_metric(['a "b" \\ c\nd'], 1)
    assert render([gauge]).decode().splitlines() == [
        '# HELP g a "b" \\\\ c\\nd',
        "# TYPE g gauge",
        'g{v="a \\"b\\" \\\\ c\\nd"} 1',
    ]
    batch = parse_text(render([gauge]))
    assert batch.families[0].help == 'a "b" \\ c\nd'
    assert batch.labels[0].get("v") == 'a "b" \\ c\nd'


@pytest.mark.parametrize(
    ("escaping", "expected"),
    [
        (Escaping.UNDERSCORES, 'my_metric{label_name="v"} 1'),
        (Escaping.DOTS, 'my_dot_metric{label_dot_name="v"} 1'),
        (Escaping.VALUES, 'U__my_2e_metric{U__label_2e_name="v"} 1'),
        (Escaping.ALLOW_UTF8, '{"my.metric","label.name"="v"} 1'),
    ],
)
def test_name_escaping_schemes(escaping: Escaping, expected: str) -> None:
    gauge = GaugeMetricFamily("my.metric", "h", labels=["label.name"])
    gauge.add_metric(["v"], 1)
    lines = render([gauge], escaping=escaping).decode().splitlines()
    assert lines[-1] == expected
    parse_text(render([gauge], escaping=escaping))


def test_escape_name_examples() -> None:
    assert escape_name("a.b:c", Escaping.UNDERSCORES) == "a_b:c"
    assert escape_name("a.b:c", Escaping.UNDERSCORES, metric=False) == "a_b_c"
    assert escape_name("1abc", Escaping.UNDERSCORES) == "_abc"
    assert escape_name("valid_name", Escaping.DOTS) == "valid__name"
    assert escape_name("valid_name", Escaping.VALUES) == "valid_name"
    assert escape_name("ünï", Escaping.VALUES) == "U___fc_n_ef_"


@pytest.mark.parametrize("name", ["node_exporter.prom", "text_edge_cases.prom", "pushgateway.prom"])
def test_parse_render_parse_is_identity_for_text(name: str) -> None:
    batch = parse_text((DATA / name).read_bytes())
    again = parse_text(render_batch(batch, escaping=Escaping.ALLOW_UTF8))
    assert [r[2:] for r in rows(again)] == [r[2:] for r in rows(batch)]  # all but raw series


@pytest.mark.parametrize("name", ["node_exporter.prom", "pushgateway.prom"])
def test_render_reproduces_go_output_byte_for_byte(name: str) -> None:
    payload = (DATA / name).read_text()
    assert render_batch(parse_text(payload)).decode() == without_empty_labels(payload)


def test_parse_render_parse_is_identity_for_openmetrics() -> None:
    batch = parse_openmetrics((DATA / "openmetrics_spec.txt").read_bytes())
    rendered = render_batch(batch, escaping=Escaping.ALLOW_UTF8)
    assert [r[2:] for r in rows(parse_openmetrics(rendered))] == [r[2:] for r in rows(batch)]
    # canonical output renders to itself
    assert render_batch(parse_openmetrics(rendered), escaping=Escaping.ALLOW_UTF8) == rendered


def test_render_to_the_other_format() -> None:
    om = parse_openmetrics((DATA / "openmetrics_spec.txt").read_bytes())
    text = parse_text(render_batch(om, TEXT, escaping=Escaping.ALLOW_UTF8))
    assert {f.name: f.type for f in text.families}["process_cpu_seconds_total"] == "counter"
    assert sorted(r[2:5] for r in rows(text)) == sorted(r[2:5] for r in rows(om))
    back = parse_openmetrics(render_batch(text, OPENMETRICS, escaping=Escaping.ALLOW_UTF8))
    assert sorted(r[2:5] for r in rows(back)) == sorted(r[2:5] for r in rows(om))
    # a text counter without the _total suffix cannot be an OpenMetrics counter:
    # it is written as "unknown" under its own name rather than renamed
    odd = parse_text(b"# TYPE hits counter\nhits 3\n# TYPE h histogram\nh_bucket 1\n")
    again = parse_openmetrics(render_batch(odd, OPENMETRICS))
    assert [(f.name, f.type) for f in again.families] == [
        ("hits", "unknown"),
        ("h_bucket", "unknown"),
    ]
    assert again.names == ["hits", "h_bucket"]


def test_render_batch_groups_interleaved_text_families() -> None:
    batch = parse_text(b"a 1\nb 2\na 3\n")
    assert render_batch(batch) == b"# TYPE a untyped\na 1\na 3\n# TYPE b untyped\nb 2\n"
    assert_same(
        parse(render_batch(batch, OPENMETRICS), OPENMETRICS),
        parse_openmetrics(b"# TYPE a unknown\na 1\na 3\n# TYPE b unknown\nb 2\n# EOF\n"),
    )


def test_text_families_named_like_a_summary_part_are_written_before_it() -> None:
    # foo_count was a family before foo became a summary; written after foo's TYPE,
    # expfmt would file it under foo
    payload = b"# TYPE foo_count gauge\nfoo_count 3\n# TYPE foo summary\nfoo_sum 1\n"
    batch = parse_text(b"# HELP foo h\n" + payload)
    assert render_batch(batch) == payload.replace(b"# TYPE foo ", b"# HELP foo h\n# TYPE foo ")


def test_what_text_cannot_express_is_refused() -> None:
    gauge = GaugeMetricFamily("rpc_count", "A gauge named like a summary part.", value=1)
    summary = SummaryMetricFamily("rpc", "RPC.", count_value=4, sum_value=1.5)
    with pytest.raises(RenderError, match="'rpc_count' would not be read as part of family 'rpc'"):
        render([gauge, summary])
    om = parse_openmetrics(b"# TYPE x counter\nx_total 1\n# TYPE x_total gauge\n# EOF\n")
    with pytest.raises(RenderError, match="family 'x_total' twice with different TYPE or HELP"):
        render_batch(om, TEXT)
    text = parse_text(b'{"a.b"} 1\na_b 2\n')
    with pytest.raises(RenderError, match="sample name 'a_b' would be in two families"):
        render_batch(text, OPENMETRICS)
    assert render_batch(text, TEXT).decode() == "# TYPE a_b untyped\na_b 1\na_b 2\n"
    # what text can express is written in an order expfmt reads back as meant
    om = parse_openmetrics(
        b"# TYPE foo summary\nfoo_sum 1\n# TYPE foo_count gauge\nfoo_count 2\n# EOF\n"
    )
    assert render_batch(om, TEXT) == (
        b"# TYPE foo_count gauge\nfoo_count 2\n# TYPE foo summary\nfoo_sum 1\n"
    )


def test_escaping_keeps_type_suffixes() -> None:
    counter = CounterMetricFamily("my.counter", "C.")
    counter.add_metric([], 1)
    text = render([counter], OPENMETRICS, escaping=Escaping.DOTS).decode()
    assert "# TYPE my_dot_counter counter\nmy_dot_counter_total 1.0\n" in text
    parse_openmetrics(text)


def test_exemplars_render_in_openmetrics_only_where_allowed() -> None:
    counter = CounterMetricFamily("c", "C.")
    counter.add_metric([], 2, exemplar=Exemplar({"trace_id": "abc"}, 1.5, 1700000000.25))
    text = render([counter], OPENMETRICS).decode()
    assert 'c_total 2.0 # {trace_id="abc"} 1.5 1700000000.25\n' in text
    assert render([counter]).decode().endswith("c_total 2\n")  # text 0.0.4 has no exemplars
    parse_openmetrics(text)
    gauge = GaugeMetricFamily("g", "G.")
    gauge.add_sample("g", {}, 1, exemplar=Exemplar({"a": "b"}, 1))
    with pytest.raises(RenderError, match="exemplar on gauge sample 'g'"):
        render([gauge], OPENMETRICS)


def test_render_errors() -> None:
    gauge = GaugeMetricFamily("g", "G.")
    gauge.add_sample("g", {}, 1, timestamp=math.nan)
    with pytest.raises(RenderError, match="invalid timestamp nan"):
        render([gauge])
    bogus = Metric("x", "X.", "gauge")
    bogus.type = "weird"
    with pytest.raises(RenderError, match="unknown metric type 'weird'"):
        render([bogus])
    empty = GaugeMetricFamily("g", "G.")
    empty.add_sample("g", {"": "v"}, 1)
    with pytest.raises(RenderError, match="empty label name"):
        render([empty])
    surrogate = GaugeMetricFamily("g", "G.", labels=["v"])
    surrogate.add_metric(["\ud800"], 1)
    with pytest.raises(RenderError, match="not valid UTF-8"):
        render([surrogate])
