"""Parsing valid payloads: what the batch holds, fast path against exact path."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest

from exporters.common.exposition import (
    NO_TIMESTAMP,
    ContentTypeError,
    ExpositionFormat,
    FamilyMeta,
    parse,
    parse_openmetrics,
    parse_response,
    parse_text,
)
from exporters.common.exposition.parser import parse_exact
from lab.model.labels import Labels
from tests.exporters.common.exposition.helpers import DATA, assert_same, families

TEXT = ExpositionFormat.TEXT
OPENMETRICS = ExpositionFormat.OPENMETRICS
FIXTURES = [
    ("node_exporter.prom", TEXT),
    ("pushgateway.prom", TEXT),
    ("text_edge_cases.prom", TEXT),
    ("openmetrics_spec.txt", OPENMETRICS),
]


@pytest.mark.parametrize(("name", "fmt"), FIXTURES)
def test_fast_and_exact_parsers_agree_on_fixtures(name: str, fmt: ExpositionFormat) -> None:
    payload = (DATA / name).read_bytes()
    assert_same(parse(payload, fmt), parse_exact(payload, fmt))


def test_basic_text_payload() -> None:
    batch = parse_text(
        b"# HELP http_requests_total Requests served.\n"
        b"# TYPE http_requests_total counter\n"
        b'http_requests_total{method="get",code="200"} 1027 1395066363000\n'
        b'http_requests_total{method="post",code="400"} 3\n'
        b"up 1\n"
    )
    assert batch.format is TEXT
    assert len(batch) == 3
    assert batch.names == ["http_requests_total", "http_requests_total", "up"]
    assert batch.series == [
        'http_requests_total{method="get",code="200"}',
        'http_requests_total{method="post",code="400"}',
        "up",
    ]
    assert batch.labels[0] == Labels.of(__name__="http_requests_total", method="get", code="200")
    assert batch.labels[2] == Labels.of(__name__="up")
    assert batch.values.tolist() == [1027.0, 3.0, 1.0]
    assert batch.values.dtype == np.float64
    assert batch.timestamps.dtype == np.int64
    assert batch.timestamps.tolist() == [1395066363000, NO_TIMESTAMP, NO_TIMESTAMP]
    assert batch.has_timestamp().tolist() == [True, False, False]
    assert batch.timestamps_or(5).tolist() == [1395066363000, 5, 5]
    assert batch.families == [
        FamilyMeta("http_requests_total", "counter", "Requests served."),
        FamilyMeta("up", "untyped"),
    ]
    assert batch.family.tolist() == [0, 0, 1]
    assert list(batch.samples())[1] == (batch.labels[1], 3.0, None)


def test_str_and_bytes_give_the_same_batch() -> None:
    payload = (DATA / "text_edge_cases.prom").read_text(encoding="utf-8")
    assert_same(parse_text(payload), parse_text(payload.encode()))


def test_empty_payloads() -> None:
    assert len(parse_text(b"")) == 0
    assert len(parse_text(b"\n\n  \n# just a comment\n")) == 0
    assert len(parse_openmetrics(b"# EOF\n")) == 0


def test_text_edge_cases_fixture() -> None:
    batch = parse_text((DATA / "text_edge_cases.prom").read_bytes())
    by_series = {s: i for i, s in enumerate(batch.series)}
    fams = families(batch)

    i = by_series['escapes{path="C:\\\\dir",msg="line1\\nline2",quote="say \\"hi\\""}']
    assert batch.labels[i].to_dict() == {
        "__name__": "escapes",
        "path": "C:\\dir",
        "msg": "line1\nline2",
        "quote": 'say "hi"',
    }
    assert fams["escapes"].help == 'Backslash \\ newline \n and "quotes" in HELP.'
    # whitespace between tokens, as expfmt allows; the series text is kept as written
    i = by_series['spaced_out  {  a = "1" , b="2",  }']
    assert batch.labels[i] == Labels.of(__name__="spaced_out", a="1", b="2")
    assert (batch.values[i], batch.timestamps[i]) == (4.5, 1700000000000)
    assert batch.values[by_series['nospace{a="x"}']] == 7
    # an empty value means "no such label"
    assert batch.labels[by_series['empty_value{a="",b="kept"}']].to_dict() == {
        "__name__": "empty_value",
        "b": "kept",
    }
    # labels sort by code point: upper case and "__meta" before "__name__"
    i = by_series['Uppercase_sorts_first{Zeta="z",alpha="a",__meta="m"}']
    assert batch.labels[i].names() == ("Zeta", "__meta", "__name__", "alpha")
    # special values
    special = {
        batch.labels[i].get("k"): float(batch.values[i])
        for i in range(len(batch))
        if batch.names[i] == "special"
    }
    assert special["inf"] == math.inf and special["-inf"] == -math.inf
    assert math.isnan(special["nan"]) and special["Infinity"] == math.inf
    assert special["exp"] == -1.5e-3 and special["dot"] == 0.5 and special["trail"] == 5.0
    assert math.copysign(1.0, special["neg0"]) == -1.0
    stamped = [int(batch.timestamps[i]) for i in range(len(batch)) if batch.names[i] == "stamped"]
    assert stamped == [-1000, 1700000000123]
    # quoted UTF-8 names (Prometheus 3.x), anywhere inside the braces
    dotted = [i for i in range(len(batch)) if batch.names[i] == "my.dotted.metric"]
    assert [batch.labels[i].to_dict() for i in dotted] == [
        {"__name__": "my.dotted.metric", "label.with.dots": "v", "plain": "p"},
        {"__name__": "my.dotted.metric", "plain": "q"},
    ]
    assert fams["my.dotted.metric"] == FamilyMeta(
        "my.dotted.metric", "counter", "Prometheus 3 quoted name."
    )
    # expfmt: TYPE words are case-insensitive; "x_total" is its own family
    assert fams["mixed_case_type"].type == "counter"
    assert fams["indented"] == FamilyMeta("indented", "counter")
    assert fams["indented_total"].type == "untyped"
    assert batch.family_of(by_series["indented_total"]).name == "indented_total"


def test_summary_and_histogram_samples_belong_to_their_family() -> None:
    batch = parse_text((DATA / "text_edge_cases.prom").read_bytes())
    for i, name in enumerate(batch.names):
        if name.startswith("rpc_seconds"):
            assert batch.family_of(i) == FamilyMeta("rpc_seconds", "summary")
        if name.startswith("req_seconds"):
            assert batch.family_of(i) == FamilyMeta("req_seconds", "histogram")


def test_text_family_resolution_follows_expfmt() -> None:
    batch = parse_text(
        b"foo_count 1\n"  # before the TYPE: its own untyped family
        b"# TYPE foo summary\n"
        b"foo_sum 2\n"
        b"foo_count 3\n"  # seen before: stays in family foo_count
        b"# TYPE bar gauge\n"
        b"foo 4\n"  # families may come back in the text format
    )
    assert [(batch.names[i], batch.family_of(i).name) for i in range(len(batch))] == [
        ("foo_count", "foo_count"),
        ("foo_sum", "foo"),
        ("foo_count", "foo_count"),
        ("foo", "foo"),
    ]
    assert [f.name for f in batch.families] == ["foo_count", "foo", "bar"]


def test_help_without_text_registers_family_only() -> None:
    batch = parse_text(b"# HELP foo \n# HELP foo now it has one\nfoo 1\n")
    assert batch.families == [FamilyMeta("foo", "untyped", "now it has one")]


def test_label_block_cache_shares_parsed_blocks_but_not_names() -> None:
    body = "".join(f'm{i}{{cpu="0",mode="idle"}} {i}\n' for i in range(50))
    batch = parse_text(body)
    assert {lbl.without_name() for lbl in batch.labels} == {Labels.of(cpu="0", mode="idle")}
    assert [lbl.name for lbl in batch.labels] == [f"m{i}" for i in range(50)]


def test_large_generated_payload_fast_equals_exact() -> None:
    lines = []
    for f in range(40):
        lines.append(
            f"# HELP fam{f}_total Family {f} with \\\\ and \\n.\n# TYPE fam{f}_total counter\n"
        )
        for i in range(60):
            value = ["1", "1.5e-07", "+Inf", "NaN", "-0", "12345678901234567890", ".5"][i % 7]
            lines.append(f'fam{f}_total{{i="{i}",esc="a\\"b\\\\c\\nd"}} {value}\n')
    payload = "".join(lines)
    fast, exact = parse_text(payload), parse_exact(payload)
    assert_same(fast, exact)
    assert len(fast) == 2400


def test_openmetrics_spec_fixture() -> None:
    batch = parse_openmetrics((DATA / "openmetrics_spec.txt").read_bytes())
    fams = families(batch)
    assert fams["acme_http_router_request_seconds"] == FamilyMeta(
        "acme_http_router_request_seconds",
        "summary",
        "Latency though all of ACME's HTTP request router.",
        "seconds",
    )
    assert fams["process_cpu_seconds"].unit == "seconds"
    assert fams["empty"] == FamilyMeta("empty", "gauge")  # metadata only, no samples
    assert fams["esc"].help == 'Some text and \n some " escaping and an unknown \\q escape'
    # exemplars are checked and skipped
    i = batch.series.index('foo_bucket{le="10"}')
    assert (batch.values[i], batch.timestamps[i]) == (17.0, NO_TIMESTAMP)
    # timestamps are seconds, converted exactly to milliseconds
    i = batch.series.index("counter_with_ts_total")
    assert batch.timestamps[i] == 1520879607789
    assert batch.values[batch.series.index("foo_created")] == 1520430000.123
    i = batch.series.index('esc{a="x",b="escaping\\" example \\n ",c="kept \\d as is"}')
    assert batch.labels[i].get("c") == "kept \\d as is"  # unknown escapes stay as written
    i = batch.series.index('{"quoted.name","k.e.y"="v"}')
    assert batch.labels[i] == Labels.from_pairs([("__name__", "quoted.name"), ("k.e.y", "v")])
    assert {f.type for f in batch.families} >= {"gaugehistogram", "stateset", "info"}


def test_openmetrics_family_name_may_come_back_as_client_golang_writes_it() -> None:
    # client_golang strips "_total" from counter family names, so a gauge "x" and a
    # counter "x_total" are both family "x"; Prometheus accepts it, and so do we.
    batch = parse_openmetrics(
        b"# HELP go_memstats_alloc_bytes Bytes in use.\n"
        b"# TYPE go_memstats_alloc_bytes gauge\n"
        b"go_memstats_alloc_bytes 1.2e+06\n"
        b"# HELP go_memstats_alloc_bytes Bytes allocated.\n"
        b"# TYPE go_memstats_alloc_bytes counter\n"
        b"go_memstats_alloc_bytes_total 3.4e+07\n"
        b"# EOF\n"
    )
    assert [(f.name, f.type) for f in batch.families] == [
        ("go_memstats_alloc_bytes", "gauge"),
        ("go_memstats_alloc_bytes", "counter"),
    ]
    assert batch.family.tolist() == [0, 1]


def test_openmetrics_timestamps_are_exact_milliseconds() -> None:
    batch = parse_openmetrics(
        b"a 1 1.001\na 2 -1.5\na 3 1e3\na 4 .0005\na 5 1520879607.7899\n# EOF\n"
    )
    assert batch.timestamps.tolist() == [1001, -1500, 1000000, 0, 1520879607789]


def test_parse_response_decompresses_and_picks_the_parser() -> None:
    om = b"# TYPE a gauge\na 1\n# EOF\n"
    batch = parse_response(gzip.compress(om), "application/openmetrics-text; version=1.0.0")
    assert batch.format is OPENMETRICS and batch.values.tolist() == [1.0]
    batch = parse_response(gzip.compress(b"a 2\n"), "text/plain", "gzip")
    assert batch.format is TEXT and batch.values.tolist() == [2.0]
    assert parse_response(b"a 3\n", "application/json").format is TEXT  # fallback
    with pytest.raises(ContentTypeError, match="unsupported Content-Type 'application/json'"):
        parse_response(b"a 3\n", "application/json", fallback=None)
