"""Locust's own statistics as Prometheus metrics, built fresh on every scrape.

The collector reads locust's ``RequestStats`` through the small protocols
below (not through imports of locust, which patches the standard library when
imported), so it is tested with plain fakes.

Families (per request ``method`` and ``name``, locust's grouping):

* ``locust_users`` — users running now; ``locust_runner_state{state}`` — 1 for
  the runner's current state.
* ``locust_requests_total``, ``locust_request_failures_total``.
* ``locust_errors_total{method,name,error}`` — failures by error text (cut to
  ``MAX_ERROR_LEN`` characters so one odd message cannot explode cardinality).
* ``locust_response_time_seconds{quantile}`` — a summary: quantiles from
  locust's histogram, ``_sum``/``_count`` from its totals.
* ``locust_requests_current_rps``, ``locust_requests_current_fail_per_sec`` —
  locust's own sliding-window rates, for dashboards that mirror its web UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

QUANTILES: Final = (0.5, 0.9, 0.95, 0.99)
MAX_ERROR_LEN: Final = 120
STATES: Final = ("ready", "spawning", "running", "cleanup", "stopping", "stopped", "missing")


class EntryLike(Protocol):
    """What the collector reads of a locust ``StatsEntry``."""

    @property
    def name(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def num_requests(self) -> int: ...
    @property
    def num_failures(self) -> int: ...
    @property
    def total_response_time(self) -> int: ...
    @property
    def current_rps(self) -> float: ...
    @property
    def current_fail_per_sec(self) -> float: ...
    def get_response_time_percentile(self, percent: float) -> int: ...


class ErrorLike(Protocol):
    """What the collector reads of a locust ``StatsError``."""

    @property
    def method(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def error(self) -> Exception | str | None: ...
    @property
    def occurrences(self) -> int: ...


class StatsLike(Protocol):
    """What the collector reads of a locust ``RequestStats``."""

    @property
    def entries(self) -> Mapping[tuple[str, str], EntryLike]: ...
    @property
    def errors(self) -> Mapping[str, ErrorLike]: ...


class LocustCollector:
    """A prometheus_client collector over one runner's stats.

    ``users`` and ``state`` are read at scrape time (they live on the runner,
    which is created after the collector's registry is served)."""

    def __init__(
        self,
        stats: Callable[[], StatsLike | None],
        users: Callable[[], int],
        state: Callable[[], str],
    ) -> None:
        self._stats = stats
        self._users = users
        self._state = state

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("locust_users", "Locust users running.", value=self._users())
        state = GaugeMetricFamily(
            "locust_runner_state", "1 for the runner's current state.", labels=["state"]
        )
        current = self._state()
        for name in sorted({*STATES, current}):
            state.add_metric([name], 1.0 if name == current else 0.0)
        yield state
        stats = self._stats()
        entries = sorted(
            (stats.entries if stats else {}).values(), key=lambda e: (e.name, e.method)
        )
        labels = ["method", "name"]
        requests = CounterMetricFamily("locust_requests", "Requests sent.", labels=labels)
        failures = CounterMetricFamily(
            "locust_request_failures", "Requests that failed.", labels=labels
        )
        latency = Metric(
            "locust_response_time_seconds", "Response times seen by locust.", "summary"
        )
        rps = GaugeMetricFamily(
            "locust_requests_current_rps", "Locust's current requests per second.", labels=labels
        )
        fps = GaugeMetricFamily(
            "locust_requests_current_fail_per_sec",
            "Locust's current failures per second.",
            labels=labels,
        )
        for e in entries:
            key = [e.method or "", e.name]
            requests.add_metric(key, e.num_requests)
            failures.add_metric(key, e.num_failures)
            base = dict(zip(labels, key, strict=True))
            # An empty histogram has no quantiles (locust would answer 0).
            for q in QUANTILES if e.num_requests else ():
                latency.add_sample(
                    latency.name,
                    {**base, "quantile": str(q)},
                    e.get_response_time_percentile(q) / 1000,
                )
            latency.add_sample(latency.name + "_count", base, e.num_requests)
            latency.add_sample(latency.name + "_sum", base, e.total_response_time / 1000)
            rps.add_metric(key, e.current_rps)
            fps.add_metric(key, e.current_fail_per_sec)
        yield from (requests, failures, latency, rps, fps)
        errors = CounterMetricFamily(
            "locust_errors", "Failures by error text.", labels=["method", "name", "error"]
        )
        for err in sorted(
            (stats.errors if stats else {}).values(), key=lambda x: (x.name, x.method)
        ):
            text = err.error if isinstance(err.error, str) else repr(err.error)
            errors.add_metric([err.method, err.name, text[:MAX_ERROR_LEN]], err.occurrences)
        yield errors
