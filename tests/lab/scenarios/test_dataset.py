from __future__ import annotations

import numpy as np

from lab.scenarios.dataset import DatasetSpec, DemoDataset


def _by_labels(spec: DatasetSpec) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {str(s.labels): (s.timestamps, s.values) for s in DemoDataset(spec).series()}


def test_dataset_is_deterministic_and_stable_when_growing() -> None:
    small = _by_labels(DatasetSpec(instances=2, duration_ms=3_600_000))
    again = _by_labels(DatasetSpec(instances=2, duration_ms=3_600_000))
    bigger = _by_labels(DatasetSpec(instances=3, duration_ms=3_600_000))
    for key, (ts, values) in small.items():
        np.testing.assert_array_equal(again[key][1], values)
        np.testing.assert_array_equal(bigger[key][0], ts)
        np.testing.assert_array_equal(bigger[key][1], values)


def test_series_shapes() -> None:
    spec = DatasetSpec(instances=2, duration_ms=2 * 3_600_000, jitter_ms=3000)
    series = list(DemoDataset(spec).series())
    names = {s.labels.name for s in series}
    assert names == {
        "demo_http_requests_total",
        "demo_cpu_usage_ratio",
        "demo_memory_bytes",
        "demo_request_duration_seconds_bucket",
        "demo_request_duration_seconds_sum",
        "demo_request_duration_seconds_count",
        "demo_batch_last_success_timestamp_seconds",
        "demo_intermittent_metric",
    }
    for s in series:
        assert s.timestamps.dtype == np.int64 and s.values.dtype == np.float64
        assert np.all(np.diff(s.timestamps) > 0), s.labels
        assert s.timestamps[0] >= spec.start_ms
    buckets = [s for s in series if s.labels.name.endswith("_bucket")]
    by_group: dict[tuple[str, str], list[np.ndarray]] = {}
    for s in buckets:
        key = (s.labels.get("instance"), s.labels.get("handler"))
        by_group.setdefault(key, []).append(s.values)
    for columns in by_group.values():
        stacked = np.vstack(columns)  # le ascending, +Inf last
        assert np.all(np.diff(stacked, axis=0) >= 0), "buckets must be cumulative"
    intermittent = next(s for s in series if s.labels.name == "demo_intermittent_metric")
    assert np.max(np.diff(intermittent.timestamps)) > 5 * 60_000  # gaps longer than lookback
