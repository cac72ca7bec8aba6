"""locust's stats rendered as Prometheus metrics (fakes; locust not imported)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest

from lab.live.locust_metrics import EntryLike, ErrorLike, LocustCollector


@dataclass
class Entry:
    name: str
    method: str
    num_requests: int
    num_failures: int
    total_response_time: int
    current_rps: float = 1.5
    current_fail_per_sec: float = 0.5

    def get_response_time_percentile(self, percent: float) -> int:
        return int(percent * 100)  # ms


@dataclass
class Error:
    method: str
    name: str
    error: Exception | str | None
    occurrences: int


@dataclass
class Stats:
    entries: dict[tuple[str, str], EntryLike] = field(default_factory=dict)
    errors: dict[str, ErrorLike] = field(default_factory=dict)


def registry_for(stats: Stats | None, users: int = 3, state: str = "running") -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(LocustCollector(lambda: stats, lambda: users, lambda: state))
    return registry


def test_families_and_values() -> None:
    stats = Stats(
        entries={
            ("/api/items", "GET"): Entry("/api/items", "GET", 10, 2, 500),
            ("/", "GET"): Entry("/", "GET", 0, 0, 0),
        },
        errors={"k": Error("GET", "/api/items", "HTTPError('500 Server Error')", 2)},
    )
    r = registry_for(stats)
    items = {"method": "GET", "name": "/api/items"}
    assert r.get_sample_value("locust_users") == 3
    assert r.get_sample_value("locust_runner_state", {"state": "running"}) == 1
    assert r.get_sample_value("locust_runner_state", {"state": "stopped"}) == 0
    assert r.get_sample_value("locust_requests_total", items) == 10
    assert r.get_sample_value("locust_request_failures_total", items) == 2
    assert r.get_sample_value("locust_response_time_seconds_count", items) == 10
    assert r.get_sample_value("locust_response_time_seconds_sum", items) == 0.5
    assert r.get_sample_value("locust_response_time_seconds", {**items, "quantile": "0.9"}) == 0.09
    assert r.get_sample_value("locust_requests_current_rps", items) == 1.5
    assert r.get_sample_value("locust_requests_current_fail_per_sec", items) == 0.5
    assert (
        r.get_sample_value(
            "locust_errors_total", {**items, "error": "HTTPError('500 Server Error')"}
        )
        == 2
    )
    # No requests yet: a count of 0, no made-up quantiles.
    root = {"method": "GET", "name": "/"}
    assert r.get_sample_value("locust_response_time_seconds_count", root) == 0
    assert r.get_sample_value("locust_response_time_seconds", {**root, "quantile": "0.5"}) is None
    text = generate_latest(r).decode()
    assert "# TYPE locust_response_time_seconds summary" in text


def test_before_the_runner_exists_and_long_errors() -> None:
    r = registry_for(None, users=0, state="ready")
    assert r.get_sample_value("locust_users") == 0
    assert r.get_sample_value("locust_runner_state", {"state": "ready"}) == 1
    generate_latest(r)
    stats = Stats(errors={"k": Error("GET", "/", ConnectionError("x" * 500), 1)})
    text = generate_latest(registry_for(stats)).decode()
    line = next(x for x in text.splitlines() if x.startswith("locust_errors_total{"))
    assert len(line) < 250
