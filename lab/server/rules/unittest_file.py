"""promtool's unit-test file format, decoded strictly with line numbers.

Field and type names in errors are promtool's (``main.unitTestFile`` ...), so
``yaml: unmarshal errors: line 6: field x not found in type main.testGroup``
reads as upstream; every test case keeps its line for our own reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lab.server.rules.errors import UnitTestFileError
from lab.server.rules.rulefile import duration_ms
from lab.server.rules.yamlpos import (
    YamlShapeError,
    compose,
    is_null,
    mapping_items,
    scalar,
    sequence,
    string_map,
)

_FILE_KEYS = frozenset(
    {"rule_files", "evaluation_interval", "group_eval_order", "tests", "fuzzy_compare"}
)
_GROUP_KEYS = frozenset(
    {"interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels",
     "external_url", "name", "start_timestamp"}
)  # fmt: skip
_SERIES_KEYS = frozenset({"series", "values"})
_ALERT_KEYS = frozenset({"eval_time", "alertname", "exp_alerts"})
_EXP_ALERT_KEYS = frozenset({"exp_labels", "exp_annotations"})
_PROMQL_KEYS = frozenset({"expr", "eval_time", "exp_samples"})
_SAMPLE_KEYS = frozenset({"labels", "value", "histogram"})


@dataclass(frozen=True)
class InputSeries:
    series: str
    values: str
    line: int


@dataclass(frozen=True)
class ExpAlert:
    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass(frozen=True)
class AlertTest:
    eval_time_ms: int
    alertname: str
    exp_alerts: list[ExpAlert]
    line: int


@dataclass(frozen=True)
class ExpSample:
    labels: str
    value: float
    histogram: str


@dataclass(frozen=True)
class PromqlTest:
    expr: str
    eval_time_ms: int
    exp_samples: list[ExpSample]
    line: int


@dataclass
class TestGroup:
    name: str
    interval_ms: int
    input_series: list[InputSeries]
    alert_tests: list[AlertTest]
    promql_tests: list[PromqlTest]
    external_labels: dict[str, str]
    external_url: str
    start_ms: int
    line: int

    def max_eval_time_ms(self) -> int:
        times = [t.eval_time_ms for t in self.alert_tests] + [
            t.eval_time_ms for t in self.promql_tests
        ]
        return max(times, default=0)


@dataclass
class TestFile:
    path: str
    rule_files: list[str]
    evaluation_interval_ms: int
    group_eval_order: list[str]
    fuzzy_compare: bool
    tests: list[TestGroup] = field(default_factory=list)


class _Decoder:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.unknown: list[str] = []

    def fields(
        self, node: yaml.Node, type_name: str, known: frozenset[str]
    ) -> dict[str, yaml.Node]:
        items = mapping_items(node, type_name, known, self.unknown, self.strict)
        return {k: v for k, (_, v) in items.items()}


def _duration(node: yaml.Node | None, default: int = 0) -> int:
    if is_null(node):
        return default
    return duration_ms(scalar(node))


def _float(node: yaml.Node | None) -> float:
    text = scalar(node).strip()
    if not text:
        return 0.0
    low = text.lower()
    if low in (".inf", "+.inf", "inf", "+inf"):
        return float("inf")
    if low in ("-.inf", "-inf"):
        return float("-inf")
    if low in (".nan", "nan"):
        return float("nan")
    try:
        return float(text)
    except ValueError:
        raise YamlShapeError(
            f"line {node.start_mark.line + 1}: cannot unmarshal !!str `{text}` into float64"  # type: ignore[union-attr]
        ) from None


def _start_timestamp(node: yaml.Node | None) -> int:
    text = scalar(node).strip()
    if not text:
        return 0
    try:
        return round(float(text) * 1000)
    except ValueError:
        pass
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise YamlShapeError(f"cannot parse start_timestamp {text!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return round(t.timestamp() * 1000)


def load_test_file(path: str | Path, *, ignore_unknown_fields: bool = False) -> TestFile:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UnitTestFileError(f"open {name}: {exc.strerror or exc}") from None
    try:
        root = compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise UnitTestFileError(f"yaml: {where}{getattr(exc, 'problem', exc)}") from None
    dec = _Decoder(strict=not ignore_unknown_fields)
    try:
        tf = _decode(root, name, dec)
    except (YamlShapeError, ValueError) as exc:
        msg = str(exc)
        if isinstance(exc, YamlShapeError) and msg.startswith("line "):
            msg = "yaml: unmarshal errors:\n  " + msg
        raise UnitTestFileError(msg) from None
    if dec.unknown:
        raise UnitTestFileError("yaml: unmarshal errors:\n  " + "\n  ".join(dec.unknown))
    return tf


def _decode(root: yaml.Node | None, name: str, dec: _Decoder) -> TestFile:
    f = dec.fields(root, "main.unitTestFile", _FILE_KEYS) if root is not None else {}
    eval_ms = _duration(f.get("evaluation_interval")) or 60_000
    tf = TestFile(
        path=name,
        rule_files=[scalar(n) for n in sequence(f.get("rule_files"))],
        evaluation_interval_ms=eval_ms,
        group_eval_order=[scalar(n) for n in sequence(f.get("group_eval_order"))],
        fuzzy_compare=scalar(f.get("fuzzy_compare")).lower() == "true",
    )
    for gnode in sequence(f.get("tests")):
        tf.tests.append(_group(gnode, dec, eval_ms))
    return tf


def _group(node: yaml.Node, dec: _Decoder, eval_ms: int) -> TestGroup:
    g = dec.fields(node, "main.testGroup", _GROUP_KEYS)
    series = []
    for s in sequence(g.get("input_series")):
        sf = dec.fields(s, "main.series", _SERIES_KEYS)
        series.append(
            InputSeries(scalar(sf.get("series")), scalar(sf.get("values")), s.start_mark.line + 1)
        )
    alerts = []
    for a in sequence(g.get("alert_rule_test")):
        af = dec.fields(a, "main.alertTestCase", _ALERT_KEYS)
        exp = []
        for e in sequence(af.get("exp_alerts")):
            ef = dec.fields(e, "main.alert", _EXP_ALERT_KEYS)
            exp.append(
                ExpAlert(
                    {k: v for k, (v, _) in string_map(ef.get("exp_labels")).items()},
                    {k: v for k, (v, _) in string_map(ef.get("exp_annotations")).items()},
                )
            )
        alerts.append(
            AlertTest(
                _duration(af.get("eval_time")),
                scalar(af.get("alertname")),
                exp,
                a.start_mark.line + 1,
            )
        )
    promql = []
    for p in sequence(g.get("promql_expr_test")):
        pf = dec.fields(p, "main.promqlTestCase", _PROMQL_KEYS)
        samples = []
        for s in sequence(pf.get("exp_samples")):
            sf = dec.fields(s, "main.sample", _SAMPLE_KEYS)
            samples.append(
                ExpSample(
                    scalar(sf.get("labels")), _float(sf.get("value")), scalar(sf.get("histogram"))
                )
            )
        promql.append(
            PromqlTest(
                scalar(pf.get("expr")),
                _duration(pf.get("eval_time")),
                samples,
                p.start_mark.line + 1,
            )
        )
    return TestGroup(
        name=scalar(g.get("name")),
        interval_ms=_duration(g.get("interval")) or eval_ms,
        input_series=series,
        alert_tests=alerts,
        promql_tests=promql,
        external_labels={k: v for k, (v, _) in string_map(g.get("external_labels")).items()},
        external_url=scalar(g.get("external_url")),
        start_ms=_start_timestamp(g.get("start_timestamp")),
        line=node.start_mark.line + 1,
    )
