"""Text format 0.0.4 for the node exporter's families, without numpy.

The shared renderer (``exporters.common.exposition``) brings numpy with it,
about 13 MB of RSS, which a per-node DaemonSet cannot afford; node_exporter 1.5
only ever serves text 0.0.4 anyway. This writer also keeps what the
prometheus_client model loses: a counter family whose samples are not named
``*_total`` (possible in text files) is written under its own name, as Go does.
Numbers are formatted like Go's ``strconv.FormatFloat(v, 'g', -1, 64)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

from prometheus_client.metrics_core import Metric

#: what node_exporter 1.5 sends, whatever the Accept header says
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

_TYPES: Final = {
    "counter": "counter",
    "gauge": "gauge",
    "histogram": "histogram",
    "summary": "summary",
    "unknown": "untyped",
    "untyped": "untyped",
    "info": "gauge",
    "stateset": "gauge",
    "gaugehistogram": "histogram",
}


def go_float(value: float) -> str:
    """``value`` as Go's ``strconv.FormatFloat(value, 'g', -1, 64)`` writes it:
    the shortest digits that round-trip (Python's repr finds the same ones),
    in exponent form when the decimal exponent is < -4 or >= 6."""
    if value.is_integer():
        if -1e6 < value < 1e6:
            if value == 0 and math.copysign(1.0, value) < 0:
                return "-0"
            return str(int(value))
    elif value != value:
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(abs(value))
    sign = "-" if value < 0 else ""
    if "e" in text:
        mantissa, _, exp_text = text.partition("e")
        digits = mantissa.replace(".", "")
        point = 1 + int(exp_text)
    else:
        whole, _, frac = text.partition(".")
        digits = whole + frac
        point = len(whole)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    exp = point - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _escape_value(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return value


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def family_name(metric: Metric) -> str:
    """The name the TYPE line carries (prometheus_client strips ``_total``/``_info``)."""
    if metric.type == "counter":
        total = metric.name + "_total"
        if any(s.name == total for s in metric.samples):
            return total
    elif metric.type == "info":
        return metric.name + "_info"
    return metric.name


def render_text(families: Iterable[Metric]) -> bytes:
    out: list[str] = []
    append = out.append
    for metric in families:
        name = family_name(metric)
        append(f"# HELP {name} {_escape_help(metric.documentation)}\n")
        append(f"# TYPE {name} {_TYPES.get(metric.type, 'untyped')}\n")
        for sample in metric.samples:
            if sample.name.endswith("_created") and sample.name != name:
                continue  # prometheus_client's creation stamps; Go sends none
            value = go_float(float(sample.value))
            if sample.labels:
                pairs = ",".join(
                    f'{k}="{_escape_value(v)}"' for k, v in sorted(sample.labels.items())
                )
                append(f"{sample.name}{{{pairs}}} {value}\n")
            else:
                append(f"{sample.name} {value}\n")
    return "".join(out).encode()
