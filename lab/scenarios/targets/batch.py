"""A batch job that pushes its results to the Pushgateway, as scraped from
the Pushgateway (``honor_labels: true``, so the series keep the job's own
``job`` label and no ``instance``).

Every ``period`` the job runs for ``runtime`` and pushes (POST) to its group:
``batch_job_last_success_timestamp_seconds`` (only when it succeeded),
``batch_job_last_failure_timestamp_seconds`` (only when it failed),
``batch_job_duration_seconds`` and ``batch_job_records_processed``; the
Pushgateway stamps ``push_time_seconds`` on every accepted push and
``push_failure_time_seconds`` on a rejected one. Values stay as last pushed
between runs (the Pushgateway is a cache, not a time series store).

Knobs: ``fail`` (>= 0.5: runs fail), ``stopped`` (>= 0.5: the job does not
run at all, e.g. its CronJob is suspended), ``rejected`` (>= 0.5: pushes are
refused, e.g. a type clash with an earlier push).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from lab.model.labels import Labels
from lab.scenarios.targets.base import F64, Grid, Scrape

PUSHGATEWAY = ("pushgateway", "pushgateway:9091")


@dataclass(frozen=True, slots=True)
class BatchJob:
    name: str
    period_s: float = 600.0
    runtime_s: float = 95.0
    records: float = 12_000.0

    @property
    def members(self) -> int:
        return 1

    def baseline(self) -> Mapping[str, float]:
        return {"fail": 0.0, "stopped": 0.0, "rejected": 0.0}

    def scrapes(self, grid: Grid, knobs: Mapping[str, F64], rng: np.random.Generator) -> Iterator[
        Scrape
    ]:
        n = grid.steps
        unix = grid.unix
        # Run k ends (and pushes) at k * period + runtime; find each step's last push.
        first = np.floor((unix[0] - self.runtime_s) / self.period_s)
        run = np.floor((unix - self.runtime_s) / self.period_s)
        push_at = run * self.period_s + self.runtime_s
        step_of_push = np.clip(np.searchsorted(unix, push_at, side="left"), 0, n - 1)
        fail = knobs["fail"][0][step_of_push] >= 0.5
        stopped = knobs["stopped"][0][step_of_push] >= 0.5
        rejected = knobs["rejected"][0][step_of_push] >= 0.5
        jitter = rng.normal(0, 0.4, n)
        accepted = ~stopped & ~rejected

        # A run that happened before the replay started succeeded.
        earlier = first * self.period_s + self.runtime_s
        success = _last_where(accepted & ~fail, push_at, run, earlier)
        failure = _last_where(accepted & fail, push_at, run, np.nan)
        push_time = _last_where(accepted, push_at, run, earlier)
        push_fail = _last_where(~stopped & rejected, push_at, run, 0.0)
        duration = _last_where(accepted, self.runtime_s + jitter * 5, run, self.runtime_s)
        records = _last_where(accepted & ~fail, self.records * (1 + 0.05 * jitter), run,
                              self.records)

        s = Scrape(*PUSHGATEWAY, np.ones(n), honor_labels=True)
        job = {"job": self.name}
        s.series.append((Labels.of(job, __name__="batch_job_last_success_timestamp_seconds"),
                         success))
        s.series.append((Labels.of(job, __name__="batch_job_last_failure_timestamp_seconds"),
                         failure))
        s.series.append((Labels.of(job, __name__="batch_job_duration_seconds"), duration))
        s.series.append((Labels.of(job, __name__="batch_job_records_processed"), records))
        s.series.append((Labels.of(job, __name__="push_time_seconds"), push_time))
        s.series.append((Labels.of(job, __name__="push_failure_time_seconds"), push_fail))
        yield s


def _last_where(event: np.ndarray, value: F64 | np.ndarray, run: F64, before: float | F64
                ) -> F64:
    """At each step, ``value`` as of the latest run whose push matched ``event``
    (runs are numbered by ``run``; ``before`` until the first such run)."""
    n = run.size
    idx = np.arange(n)
    # The first step of each run is where that run's push became visible.
    new_run = np.concatenate([[True], run[1:] != run[:-1]])
    hit = new_run & event
    last = np.maximum.accumulate(np.where(hit, idx, -1))
    vals = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    default = np.broadcast_to(np.asarray(before, dtype=np.float64), (n,))
    return np.where(last >= 0, vals[np.maximum(last, 0)], default)
