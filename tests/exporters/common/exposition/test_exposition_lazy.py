"""Rendering does not need numpy: importing the package and rendering leaves it
out (the node exporter's RSS budget counts on that); the parse side still
works through the same package names once used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def test_import_and_render_leave_numpy_out() -> None:
    code = """
import sys
import exporters.common.exposition as exposition
from prometheus_client import CollectorRegistry, Counter

registry = CollectorRegistry()
Counter("jobs", "Jobs done.", registry=registry).inc()
text = exposition.render(registry.collect())
assert b"jobs_total 1.0" not in text and b"jobs_total 1\\n" in text, text
om = exposition.render(registry.collect(), exposition.ExpositionFormat.OPENMETRICS)
assert om.endswith(b"# EOF\\n")
assert exposition.negotiate("text/plain").format is exposition.ExpositionFormat.TEXT
assert "numpy" not in sys.modules, "rendering imported numpy"
batch = exposition.parse_text(b"a 1\\n")
assert len(batch) == 1 and "numpy" in sys.modules
from exporters.common.exposition import NO_TIMESTAMP, SampleBatch
assert isinstance(batch, SampleBatch) and NO_TIMESTAMP == -(2**63)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_unknown_attribute_is_an_attribute_error() -> None:
    import exporters.common.exposition as exposition

    try:
        exposition.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_counter_without_total_samples_keeps_its_name_as_go_writes_it() -> None:
    from prometheus_client.metrics_core import Metric

    from exporters.common.exposition import render

    metric = Metric("cnt", "Counted.", "counter")
    metric.add_sample("cnt", {"a": "1"}, 5.0)
    assert render([metric]) == b'# HELP cnt Counted.\n# TYPE cnt counter\ncnt{a="1"} 5\n'
