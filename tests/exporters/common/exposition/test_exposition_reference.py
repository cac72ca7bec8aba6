"""Differential: what the real node_exporter and pushgateway serve parses to the
same samples with our parser as with prometheus_client's."""

from __future__ import annotations

import math
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, Summary
from prometheus_client.exposition import push_to_gateway
from prometheus_client.parser import text_string_to_metric_families

from exporters.common.exposition import (
    ExpositionFormat,
    decompress,
    format_for_content_type,
    parse_response,
    parse_text,
    render_batch,
)
from tests.exporters.common.exposition.helpers import value_key, without_empty_labels
from tests.reference import ReferenceProcess

pytestmark = pytest.mark.reference

Row = tuple[str, tuple[tuple[str, str], ...], object]


def _fetch(proc: ReferenceProcess, accept: str | None = None) -> tuple[bytes, str, str | None]:
    request = urllib.request.Request(proc.url + "/metrics")
    request.add_header("Accept-Encoding", "gzip")
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.read(), resp.headers["Content-Type"], resp.headers.get("Content-Encoding")


def _ours(body: bytes) -> list[Row]:
    batch = parse_text(body)
    return sorted(
        (batch.names[i], tuple(batch.labels[i].without_name()), value_key(float(batch.values[i])))
        for i in range(len(batch))
    )


def _reference(body: bytes) -> list[Row]:
    rows = []
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for s in family.samples:
            labels = tuple(sorted((k, v) for k, v in s.labels.items() if v != ""))
            rows.append((s.name, labels, value_key(float(s.value))))
    return sorted(rows)


def _compare(body: bytes) -> int:
    ours, reference = _ours(body), _reference(body)
    assert ours == reference
    return len(ours)


def test_node_exporter_output_parses_like_prometheus_client(
    node_exporter: ReferenceProcess,
) -> None:
    body, content_type, encoding = _fetch(node_exporter)
    assert format_for_content_type(content_type) is ExpositionFormat.TEXT
    plain = decompress(body, encoding)
    assert _compare(plain) > 200
    batch = parse_response(body, content_type, encoding)
    assert {f.name for f in batch.families} >= {"node_cpu_seconds_total", "go_goroutines"}
    assert {f.type for f in batch.families} >= {"counter", "gauge", "summary"}


def test_pushgateway_output_parses_like_prometheus_client(pushgateway: ReferenceProcess) -> None:
    registry = CollectorRegistry()
    gauge = Gauge("batch_weird_values", 'Odd "values" \\ and\nlines.', ["kind"], registry=registry)
    gauge.labels("nan").set(math.nan)
    gauge.labels("inf").set(math.inf)
    gauge.labels("-inf").set(-math.inf)
    gauge.labels("tiny").set(5e-324)
    gauge.labels("big").set(1.7976931348623157e308)
    gauge.labels('quote " backslash \\ newline \n ünï ✓').set(-0.0)
    Counter("batch_records", "Records.", registry=registry).inc(12345678.9)
    Histogram("batch_seconds", "Duration.", registry=registry, buckets=(0.1, 1, 10)).observe(2)
    Summary("batch_size_bytes", "Size.", registry=registry).observe(512)
    Info("batch_build", "Build.", registry=registry).info({"version": "1.2.3"})
    push_to_gateway(pushgateway.url, job="differential", registry=registry)
    push_to_gateway(
        pushgateway.url, job="other", registry=registry, grouping_key={"instance": "i-1"}
    )
    body, content_type, encoding = _fetch(pushgateway)
    plain = decompress(body, encoding)
    assert b"batch_weird_values" in plain
    assert _compare(plain) > 60
    batch = parse_response(body, content_type, encoding)
    weird = {
        batch.labels[i].get("kind"): float(batch.values[i])
        for i in range(len(batch))
        if batch.names[i] == "batch_weird_values" and batch.labels[i].get("job") == "other"
    }
    assert math.isnan(weird["nan"]) and weird["inf"] == math.inf and weird["tiny"] == 5e-324
    assert weird['quote " backslash \\ newline \n ünï ✓'] == 0
    # and our rendering of what the pushgateway served is what it served
    assert render_batch(parse_text(plain)).decode() == without_empty_labels(plain.decode())


def test_node_exporter_answers_text_even_when_openmetrics_is_asked_for(
    node_exporter: ReferenceProcess,
) -> None:
    body, content_type, encoding = _fetch(node_exporter, "application/openmetrics-text")
    fmt = format_for_content_type(content_type)
    assert fmt is not None
    batch = parse_response(body, content_type, encoding)
    assert len(batch) > 200
