"""The renderer's memos (wire names, label pairs) and the integer fast path of
``format_float`` change nothing: same bytes, same errors, every time."""

from __future__ import annotations

import pytest
from prometheus_client.metrics_core import Metric

from exporters.common.exposition import Escaping, RenderError, format_float, render


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "-0"),
        (5.0, "5"),
        (-999999.0, "-999999"),
        (999999.0, "999999"),
        (1e6, "1e+06"),
        (-1e6, "-1e+06"),
        (123456789.0, "1.23456789e+08"),
        (0.5, "0.5"),
        (1e-5, "1e-05"),
        (float("inf"), "+Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_format_float_as_go(value: float, text: str) -> None:
    assert format_float(value) == text


def gauge(name: str, labels: dict[str, str]) -> Metric:
    metric = Metric(name, "Help.", "gauge")
    metric.add_sample(name, labels, 1.0)
    return metric


def test_renders_are_identical_with_warm_memos() -> None:
    families = [gauge("g", {"a": 'x\n"y"', "b.c": "1"}), gauge("h.i", {})]
    first = render(families)
    assert render(families) == first
    assert render(families, escaping=Escaping.ALLOW_UTF8) != first
    assert render(families) == first


def test_errors_are_raised_every_time() -> None:
    reserved = [gauge("g", {"__name__": "x"})]
    colliding = [gauge("g", {"a.b": "1", "a_b": "2"})]
    for _ in range(2):
        with pytest.raises(RenderError, match="reserved"):
            render(reserved)
        with pytest.raises(RenderError, match="both written a_b"):
            render(colliding)
