"""Pushed metric families in client_golang's data model (one ``Metric`` per
label set, histograms and summaries as one metric with buckets/quantiles),
parsed from a text body (``bodies``), sanitized with the grouping key, rendered to text
once per push, and serialised for persistence and ``/api/v1/metrics``.

Rendering follows client_golang's text writer, so a scrape looks like the
upstream one: a histogram without a ``+Inf`` bucket gets one (equal to its
count), histograms and summaries always show ``_sum`` and ``_count``, and
``le``/``quantile`` values are re-formatted from their float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

from exporters.common.exposition import format_float

Pairs = tuple[tuple[str, str], ...]
PUSH_TIME: Final = "push_time_seconds"
PUSH_FAILURE_TIME: Final = "push_failure_time_seconds"
PUSH_TIME_HELP: Final = "Last Unix time when changing this group in the Pushgateway succeeded."
PUSH_FAILURE_HELP: Final = "Last Unix time when changing this group in the Pushgateway failed."
#: The TYPE word -> upstream's enum name, used in error texts and the JSON API.
TYPE_NAMES: Final = {
    "counter": "COUNTER",
    "gauge": "GAUGE",
    "untyped": "UNTYPED",
    "summary": "SUMMARY",
    "histogram": "HISTOGRAM",
}


@dataclass(slots=True)
class Metric:
    """One series (counter/gauge/untyped) or one histogram/summary."""

    labels: Pairs
    value: float = 0.0
    #: (le or quantile, cumulative count or value) for histograms/summaries.
    points: list[tuple[float, float]] = field(default_factory=list)
    sum: float = 0.0
    count: float = 0.0
    has_timestamp: bool = False


@dataclass(slots=True)
class Family:
    name: str
    type: str
    help: str | None
    metrics: list[Metric]
    #: Unix seconds of the push that stored this family (the JSON API's time_stamp).
    pushed_at: float = 0.0
    _text: str | None = None

    def text(self) -> str:
        """The family's sample lines (no HELP/TYPE), rendered once and cached."""
        if self._text is None:
            self._text = "".join(_metric_lines(self, m) for m in self.metrics)
        return self._text

    def identities(self) -> list[Pairs]:
        return [m.labels for m in self.metrics]


def sanitize(family: Family, grouping: dict[str, str], pushed_at: float) -> Family:
    """Grouping labels overwrite the body's, ``instance=""`` is added, pairs sorted."""
    metrics = []
    for m in family.metrics:
        labels = dict(m.labels)
        labels.update(grouping)
        labels.setdefault("instance", "")
        metrics.append(
            Metric(
                tuple(sorted(labels.items())), m.value, m.points, m.sum, m.count, m.has_timestamp
            )
        )
    return Family(family.name, family.type, family.help, metrics, pushed_at)


def timestamp_gauge(name: str, grouping: dict[str, str], value: float, at: float) -> Family:
    help_text = PUSH_TIME_HELP if name == PUSH_TIME else PUSH_FAILURE_HELP
    return sanitize(Family(name, "gauge", help_text, [Metric((), value)]), grouping, at)


# --- text ----------------------------------------------------------------------


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label_block(labels: Pairs, extra: tuple[str, str] | None = None) -> str:
    parts = [f'{k}="{_escape_value(v)}"' for k, v in labels]
    if extra is not None:
        parts.append(f'{extra[0]}="{extra[1]}"')
    return "{" + ",".join(parts) + "}" if parts else ""


def _metric_lines(fam: Family, m: Metric) -> str:
    name = fam.name
    if fam.type not in ("histogram", "summary"):
        return f"{name}{_label_block(m.labels)} {format_float(m.value)}\n"
    lines = []
    special, suffix = ("le", "_bucket") if fam.type == "histogram" else ("quantile", "")
    for bound, value in m.points:
        block = _label_block(m.labels, (special, format_float(bound)))
        lines.append(f"{name}{suffix}{block} {format_float(value)}\n")
    if fam.type == "histogram" and not any(b == math.inf for b, _ in m.points):
        block = _label_block(m.labels, ("le", "+Inf"))
        lines.append(f"{name}_bucket{block} {format_float(m.count)}\n")
    block = _label_block(m.labels)
    lines.append(f"{name}_sum{block} {format_float(m.sum)}\n")
    lines.append(f"{name}_count{block} {format_float(m.count)}\n")
    return "".join(lines)


def header(name: str, type_: str, help_text: str | None) -> str:
    head = f"# HELP {name} {escape_help(help_text)}\n" if help_text is not None else ""
    return head + f"# TYPE {name} {type_}\n"


def proto_text(fam: Family, m: Metric) -> str:
    """A metric as client_golang prints it in error messages (protobuf text)."""
    labels = "".join(f'label:<name:"{k}" value:"{_escape_value(v)}" > ' for k, v in m.labels)
    kind = fam.type
    if kind in ("histogram", "summary"):
        body = f"sample_count:{int(m.count)} sample_sum:{format_float(m.sum)} "
    else:
        body = f"value:{format_float(m.value)} "
    return f"{labels}{kind}:<{body}> "


# --- serialisation (persistence and the JSON API) ------------------------------


def family_to_json(fam: Family) -> dict[str, Any]:
    return {
        "n": fam.name,
        "t": fam.type,
        "h": fam.help,
        "at": fam.pushed_at,
        # tuples encode as JSON arrays: no copies needed
        "m": [[m.labels, m.value, m.points, m.sum, m.count] for m in fam.metrics],
    }


def family_from_json(data: dict[str, Any]) -> Family:
    metrics = [
        Metric(
            tuple((str(k), str(v)) for k, v in labels),
            float(value),
            [(float(b), float(v)) for b, v in points],
            float(total),
            float(count),
        )
        for labels, value, points, total, count in data["m"]
    ]
    return Family(data["n"], data["t"], data["h"], metrics, float(data["at"]))


def metric_api_json(fam: Family, m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {"labels": dict(m.labels)}
    if fam.type == "histogram":
        out["buckets"] = {format_float(b): format_float(v) for b, v in m.points}
        out["count"], out["sum"] = format_float(m.count), format_float(m.sum)
    elif fam.type == "summary":
        out["quantiles"] = {format_float(q): format_float(v) for q, v in m.points}
        out["count"], out["sum"] = format_float(m.count), format_float(m.sum)
    else:
        out["value"] = format_float(m.value)
    return out
