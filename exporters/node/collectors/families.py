"""Small builders for the prometheus_client families the collectors yield.

Collectors pass label names in sorted order, as the Go client writes them, so
the series look the same whichever renderer prints them.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    UnknownMetricFamily,
)


def gauge(name: str, help_text: str, value: float) -> Metric:
    return GaugeMetricFamily(name, help_text, value=value)


def counter(name: str, help_text: str, value: float) -> Metric:
    return CounterMetricFamily(name, help_text, value=value)


def untyped(name: str, help_text: str, value: float) -> Metric:
    return UnknownMetricFamily(name, help_text, value=value)


def gauges(name: str, help_text: str, labels: Sequence[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, labels=labels)


def counters(name: str, help_text: str, labels: Sequence[str]) -> CounterMetricFamily:
    return CounterMetricFamily(name, help_text, labels=labels)


def parse_number(text: str) -> float:
    """A kernel counter or gauge as float (Go's ParseFloat/ParseUint then float64)."""
    return float(text)


def key_values(text: str) -> dict[str, str]:
    """``name value`` lines (``/proc/vmstat``, ``/proc/stat``) as a dict; the
    rest of a line after the value is ignored."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2:
            out[parts[0]] = parts[1]
    return out
