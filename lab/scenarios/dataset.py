"""A deterministic synthetic dataset of ``demo_*`` metrics.

The metric names and labels are those of the PromQL compliance tester's query
set (../shared/conformance/promql-compliance/queries.yml), so the same queries
run against promlab and a real Prometheus loaded with the same data:

* ``demo_http_requests_total{job,instance,method,status}``: counters that
  occasionally reset (a process restart);
* ``demo_cpu_usage_ratio{job,instance,cpu}``, ``demo_memory_bytes{job,instance}``:
  gauges with a daily-ish wave, noise and an incident bump;
* ``demo_request_duration_seconds_{bucket,sum,count}{job,instance,handler[,le]}``:
  a classic histogram whose latency rises during the incident;
* ``demo_batch_last_success_timestamp_seconds{job,instance}``: a batch job's
  heartbeat, updated every 10 minutes;
* ``demo_intermittent_metric{job,instance}``: present for 20 minutes, absent
  for 10, so staleness and lookback show.

Each series is generated as whole numpy columns (no per-sample Python loop).
With ``jitter_ms`` the scrape timestamps wander off the step grid, which keeps
Prometheus 2.x (closed windows) and 3.x (left-open windows) answers identical.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lab.model.labels import Labels
from lab.server.promql.values import F64, I64

METHODS = ("get", "post", "put", "delete")
STATUSES = ("200", "404", "500")
HANDLERS = ("/api/v1/query", "/api/v1/push", "/metrics")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """Shape of the dataset. ``start_ms`` is the first scrape; the defaults give
    a 6 h window at a 15 s interval."""

    instances: int = 10
    start_ms: int = 0
    duration_ms: int = 6 * 3600 * 1000
    interval_ms: int = 15_000
    jitter_ms: int = 0
    seed: int = 42


@dataclass(frozen=True, slots=True)
class GeneratedSeries:
    labels: Labels
    timestamps: I64
    values: F64


class SeriesSink(Protocol):
    """Takes a whole series at once (the in-memory store does; bulk import will)."""

    def add_series(self, labels: Labels, timestamps: I64, values: F64) -> None: ...


class DemoDataset:
    """Iterate ``series()`` to get every generated series, oldest sample first."""

    def __init__(self, spec: DatasetSpec = DatasetSpec()) -> None:
        self.spec = spec

    def _rng(self, *key: object) -> np.random.Generator:
        # Seed each series from its identity, so adding instances does not
        # change the samples of the existing ones.
        return np.random.default_rng(_stable_hash(self.spec.seed, key))

    def timestamps(self, rng: np.random.Generator) -> I64:
        s = self.spec
        grid = np.arange(s.start_ms, s.start_ms + s.duration_ms + 1, s.interval_ms, dtype=np.int64)
        if s.jitter_ms:
            jitter = rng.integers(-s.jitter_ms, s.jitter_ms + 1, size=grid.size)
            grid = np.maximum(grid + jitter, s.start_ms)
            grid = np.maximum.accumulate(grid)
            grid[1:] = np.maximum(grid[1:], grid[:-1] + 1)
        return grid

    def _incident(self, ts: I64) -> F64:
        """0 before the incident, rising to 1 in the middle third, then back."""
        s = self.spec
        x = (ts - s.start_ms) / max(s.duration_ms, 1)
        return np.clip(np.minimum((x - 0.4) * 10, (0.75 - x) * 10), 0.0, 1.0)

    def series(self) -> Iterator[GeneratedSeries]:
        s = self.spec
        for i in range(s.instances):
            job = "api" if i % 2 == 0 else "worker"
            instance = f"10.0.{i // 250}.{i % 250}:9100"
            base = {"job": job, "instance": instance}
            yield from self._http_requests(base)
            yield from self._cpu(base)
            yield self._memory(base)
            yield from self._histogram(base)
            yield self._batch(base)
            yield self._intermittent(base)

    def load_into(self, sink: SeriesSink) -> tuple[int, int]:
        """Write every series into ``sink``; return (series, samples) written."""
        series = samples = 0
        for s in self.series():
            sink.add_series(s.labels, s.timestamps, s.values)
            series += 1
            samples += s.values.size
        return series, samples

    def _http_requests(self, base: dict[str, str]) -> Iterator[GeneratedSeries]:
        for method in METHODS:
            for status in STATUSES:
                rng = self._rng("http", base["instance"], method, status)
                ts = self.timestamps(rng)
                weight = {"200": 10.0, "404": 1.0, "500": 0.3}[status]
                # Traffic grows 50% with the incident; 5xx triple on top of that.
                incident = self._incident(ts)
                rate = weight * (1 + 0.5 * incident) * (1 + 2 * incident * (status == "500"))
                increments = rng.poisson(rate * self.spec.interval_ms / 1000.0).astype(np.float64)
                values = np.cumsum(increments)
                reset_at = rng.integers(values.size // 3, values.size) if rng.random() < 0.3 else 0
                if reset_at:
                    values[reset_at:] -= values[reset_at - 1]
                labels = Labels.of(
                    __name__="demo_http_requests_total", method=method, status=status, **base
                )
                yield GeneratedSeries(labels, ts, values)

    def _cpu(self, base: dict[str, str]) -> Iterator[GeneratedSeries]:
        for cpu in range(2):
            rng = self._rng("cpu", base["instance"], cpu)
            ts = self.timestamps(rng)
            wave = 0.3 + 0.1 * np.sin(ts / 3_600_000.0)
            values = np.clip(wave + 0.5 * self._incident(ts) + rng.normal(0, 0.03, ts.size), 0, 1)
            labels = Labels.of(__name__="demo_cpu_usage_ratio", cpu=str(cpu), **base)
            yield GeneratedSeries(labels, ts, values)

    def _memory(self, base: dict[str, str]) -> GeneratedSeries:
        rng = self._rng("memory", base["instance"])
        ts = self.timestamps(rng)
        values = np.round(2e9 + 1e9 * self._incident(ts) + rng.normal(0, 2e7, ts.size))
        return GeneratedSeries(Labels.of(__name__="demo_memory_bytes", **base), ts, values)

    def _histogram(self, base: dict[str, str]) -> Iterator[GeneratedSeries]:
        for handler in HANDLERS:
            rng = self._rng("latency", base["instance"], handler)
            ts = self.timestamps(rng)
            n = ts.size
            requests = rng.poisson(20 * self.spec.interval_ms / 1000.0, size=n).astype(np.float64)
            # Median latency 50 ms, 20x worse at the incident's peak.
            scale = 0.05 * (1 + 19 * self._incident(ts))
            # Expected share of requests under each bound, for an exponential law.
            bounds = np.asarray(BUCKETS)
            shares = 1 - np.exp(-np.log(2) * bounds[None, :] / scale[:, None])
            per_bucket = np.floor(requests[:, None] * shares)
            cumulative = np.cumsum(per_bucket, axis=0)
            count = np.cumsum(requests)
            latency_sum = np.cumsum(requests * scale / np.log(2))
            common = {"handler": handler, **base}
            for j, bound in enumerate(BUCKETS):
                labels = Labels.of(
                    __name__="demo_request_duration_seconds_bucket", le=_le(bound), **common
                )
                yield GeneratedSeries(labels, ts, cumulative[:, j])
            yield GeneratedSeries(
                Labels.of(__name__="demo_request_duration_seconds_bucket", le="+Inf", **common),
                ts,
                count,
            )
            yield GeneratedSeries(
                Labels.of(__name__="demo_request_duration_seconds_sum", **common), ts, latency_sum
            )
            yield GeneratedSeries(
                Labels.of(__name__="demo_request_duration_seconds_count", **common), ts, count
            )

    def _batch(self, base: dict[str, str]) -> GeneratedSeries:
        rng = self._rng("batch", base["instance"])
        ts = self.timestamps(rng)
        period = 600_000
        values = ((ts // period) * period / 1000.0).astype(np.float64)
        labels = Labels.of(__name__="demo_batch_last_success_timestamp_seconds", **base)
        return GeneratedSeries(labels, ts, values)

    def _intermittent(self, base: dict[str, str]) -> GeneratedSeries:
        rng = self._rng("intermittent", base["instance"])
        ts = self.timestamps(rng)
        keep = ((ts - self.spec.start_ms) // 600_000) % 3 != 2
        values = rng.normal(100, 10, ts.size)
        labels = Labels.of(__name__="demo_intermittent_metric", **base)
        return GeneratedSeries(labels, ts[keep], np.round(values[keep], 3))


def _le(bound: float) -> str:
    return repr(bound) if bound != int(bound) else f"{bound:.1f}"


def _stable_hash(seed: int, key: tuple[object, ...]) -> int:
    # Python's hash() of str is salted per process; the dataset must not be.
    return zlib.crc32(repr((seed, key)).encode()) + seed * 2**32
