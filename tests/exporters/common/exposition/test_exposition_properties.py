"""Properties: render -> parse is the identity; the fast parser equals the exact one;
nothing but ``ParseError`` escapes the parser."""

from __future__ import annotations

from dataclasses import dataclass

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Timestamp

from exporters.common.exposition import (
    NO_TIMESTAMP,
    Escaping,
    ExpositionFormat,
    ParseError,
    SampleBatch,
    parse,
    render,
)
from exporters.common.exposition.parser import parse_exact
from tests.exporters.common.exposition.helpers import DATA, assert_same, value_key

TEXT = ExpositionFormat.TEXT
OPENMETRICS = ExpositionFormat.OPENMETRICS

legacy_names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True)
utf8_names = st.text(min_size=1, max_size=8)
names = st.one_of(legacy_names, utf8_names)
label_values = st.text(max_size=8)
values = st.floats(allow_nan=True, allow_infinity=True)
# prometheus_client's Timestamp cannot hold -0.5 s (the sign lives on the seconds),
# so generated timestamps are >= 0; negative ones are covered by the fixtures.
timestamps = st.one_of(st.none(), st.integers(0, 2**62))
floats_as_labels = st.floats(allow_nan=False).map(repr) | st.sampled_from(["+Inf", "-Inf", "1e+06"])

TYPES = [
    "gauge",
    "unknown",
    "counter",
    "summary",
    "histogram",
    "gaugehistogram",
    "info",
    "stateset",
]
UNITS = ["seconds", "bytes", "ratio"]


@dataclass
class Expected:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: object
    ts: int
    family: str


@st.composite
def metric_families(draw: st.DrawFn) -> tuple[list[Metric], list[Expected]]:
    metrics: list[Metric] = []
    expected: list[Expected] = []
    for index in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(TYPES))
        unit = draw(st.sampled_from(["", *UNITS]))
        # "_f<index>" keeps names unique and clear of the _count/_sum/... suffixes
        name = f"{draw(names)}_f{index}" + (f"_{unit}" if unit else "")
        metric = Metric(name, draw(st.text(max_size=12)), kind, unit)
        reserved = {"__name__", "le", "quantile", name}
        label_names = st.one_of(legacy_names, utf8_names).filter(
            lambda n, reserved=reserved: n not in reserved
        )
        for _ in range(draw(st.integers(0, 3))):
            labels = draw(st.dictionaries(label_names, label_values, max_size=3))
            for suffix, extra in _samples(draw, kind, name):
                sample_labels = {**labels, **extra}
                value = draw(values)
                ts = draw(timestamps)
                stamp = None if ts is None else Timestamp(ts // 1000, ts % 1000 * 1_000_000)
                metric.add_sample(name + suffix, sample_labels, value, stamp)
                pairs = [("__name__", name + suffix), *sample_labels.items()]
                expected.append(
                    Expected(
                        name + suffix,
                        tuple(sorted(p for p in pairs if p[1])),
                        value_key(value),
                        NO_TIMESTAMP if ts is None else ts,
                        name,
                    )
                )
        metrics.append(metric)
    return metrics, expected


def _samples(draw: st.DrawFn, kind: str, name: str) -> list[tuple[str, dict[str, str]]]:
    if kind == "counter":
        return [("_total", {}), *([("_created", {})] if draw(st.booleans()) else [])]
    if kind == "summary":
        return [("", {"quantile": draw(floats_as_labels)}), ("_sum", {}), ("_count", {})]
    if kind in ("histogram", "gaugehistogram"):
        count, total = ("_gcount", "_gsum") if kind == "gaugehistogram" else ("_count", "_sum")
        return [
            ("_bucket", {"le": draw(floats_as_labels)}),
            ("_bucket", {"le": "+Inf"}),
            (count, {}),
            (total, {}),
        ]
    if kind == "info":
        return [("_info", {})]
    if kind == "stateset":
        return [("", {name: draw(label_values.filter(bool))})]
    return [("", {})]


def _actual(batch: SampleBatch) -> list[Expected]:
    return [
        Expected(
            batch.names[i],
            tuple(batch.labels[i]),
            value_key(float(batch.values[i])),
            int(batch.timestamps[i]),
            batch.family_of(i).name,
        )
        for i in range(len(batch))
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metric_families())
def test_render_then_parse_openmetrics_is_identity(
    generated: tuple[list[Metric], list[Expected]],
) -> None:
    metrics, expected = generated
    payload = render(metrics, OPENMETRICS, escaping=Escaping.ALLOW_UTF8)
    batch = parse(payload, OPENMETRICS)
    assert _actual(batch) == expected
    assert [(f.name, f.type, f.help, f.unit) for f in batch.families] == [
        (m.name, m.type, m.documentation or None, m.unit or None) for m in metrics
    ]
    assert_same(batch, parse_exact(payload, OPENMETRICS))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metric_families())
def test_render_then_parse_text_is_identity(
    generated: tuple[list[Metric], list[Expected]],
) -> None:
    metrics, expected = generated
    payload = render(metrics, TEXT, escaping=Escaping.ALLOW_UTF8)
    batch = parse(payload, TEXT)

    def key(e: Expected) -> tuple[object, ...]:
        return e.name, e.labels, repr(e.value), e.ts

    # _created / _gsum / _gcount move to families of their own in text 0.0.4
    assert sorted(map(key, _actual(batch))) == sorted(map(key, expected))
    helps = {f.name: f.help for f in batch.families}
    for m in metrics:
        text_name = m.name + {"counter": "_total", "info": "_info"}.get(m.type, "")
        # text 0.0.4 drops blanks before the HELP text, like expfmt
        assert helps[text_name] == (m.documentation.lstrip(" \t") or None)
    assert_same(batch, parse_exact(payload, TEXT))


EXPOSITION_ALPHABET = 'ab_:{}="\\ \n\t#,.+-019eEinfINFaATYPHELUOcuntrg\x00é'


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=EXPOSITION_ALPHABET, max_size=60), st.sampled_from([TEXT, OPENMETRICS]))
def test_any_text_parses_or_raises_parse_error_and_both_parsers_agree(
    text: str, fmt: ExpositionFormat
) -> None:
    try:
        fast = parse(text, fmt)
    except ParseError:
        with pytest.raises(ParseError):
            parse_exact(text, fmt)
        return
    assert_same(fast, parse_exact(text, fmt))


@st.composite
def mutated_fixture(draw: st.DrawFn) -> tuple[str, ExpositionFormat]:
    name, fmt = draw(
        st.sampled_from([("text_edge_cases.prom", TEXT), ("openmetrics_spec.txt", OPENMETRICS)])
    )
    text = (DATA / name).read_text()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = (
            text[:at] + draw(st.text(alphabet=EXPOSITION_ALPHABET, max_size=3)) + text[at + cut :]
        )
    return text, fmt


@settings(max_examples=300, deadline=None)
@given(mutated_fixture())
def test_mutated_fixtures_parse_or_raise_parse_error_consistently(
    case: tuple[str, ExpositionFormat],
) -> None:
    text, fmt = case
    try:
        fast = parse(text, fmt)
    except ParseError:
        with pytest.raises(ParseError):
            parse_exact(text, fmt)
        return
    assert_same(fast, parse_exact(text, fmt))
