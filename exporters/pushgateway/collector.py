"""Store -> scrape: the pushgateway's own metrics, then every pushed family
merged by name (``push_time_seconds`` and ``push_failure_time_seconds`` are
families of each group, kept by the store).

``UPSTREAM_OWN_TYPES`` lists the families upstream's own registry exposes
(Go runtime, process, promhttp, pushgateway_*): a push that names one of them
with another type is rejected as upstream rejects it, even where promlab does
not expose that family itself, so a push accepted here is accepted there.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

_GO_GAUGES: Final = [
    "go_goroutines",
    "go_info",
    "go_memstats_alloc_bytes",
    "go_memstats_buck_hash_sys_bytes",
    "go_memstats_gc_sys_bytes",
    "go_memstats_heap_alloc_bytes",
    "go_memstats_heap_idle_bytes",
    "go_memstats_heap_inuse_bytes",
    "go_memstats_heap_objects",
    "go_memstats_heap_released_bytes",
    "go_memstats_heap_sys_bytes",
    "go_memstats_last_gc_time_seconds",
    "go_memstats_mcache_inuse_bytes",
    "go_memstats_mcache_sys_bytes",
    "go_memstats_mspan_inuse_bytes",
    "go_memstats_mspan_sys_bytes",
    "go_memstats_next_gc_bytes",
    "go_memstats_other_sys_bytes",
    "go_memstats_stack_inuse_bytes",
    "go_memstats_stack_sys_bytes",
    "go_memstats_sys_bytes",
    "go_threads",
    "process_max_fds",
    "process_open_fds",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_virtual_memory_bytes",
    "process_virtual_memory_max_bytes",
    "pushgateway_build_info",
    "promhttp_metric_handler_requests_in_flight",
]
_COUNTERS: Final = [
    "go_memstats_alloc_bytes_total",
    "go_memstats_frees_total",
    "go_memstats_lookups_total",
    "go_memstats_mallocs_total",
    "process_cpu_seconds_total",
    "pushgateway_http_requests_total",
    "promhttp_metric_handler_requests_total",
]
_SUMMARIES: Final = [
    "go_gc_duration_seconds",
    "pushgateway_http_push_duration_seconds",
    "pushgateway_http_push_size_bytes",
]
UPSTREAM_OWN_TYPES: Final = {
    **dict.fromkeys(_GO_GAUGES, "gauge"),
    **dict.fromkeys(_COUNTERS, "counter"),
    **dict.fromkeys(_SUMMARIES, "summary"),
}
OWN_HELP: Final = {
    "pushgateway_build_info": "A metric with a constant '1' value labeled by version, "
    "revision, branch, goversion from which pushgateway was built, and the goos and goarch "
    "for the build.",
    "pushgateway_http_requests_total": "Total HTTP requests processed by the Pushgateway, "
    "excluding scrapes.",
    "pushgateway_http_push_duration_seconds": "HTTP request duration for pushes to the "
    "Pushgateway.",
    "pushgateway_http_push_size_bytes": "HTTP request size for pushes to the Pushgateway.",
    "promhttp_metric_handler_requests_total": "Total number of scrapes by HTTP status code.",
    "promhttp_metric_handler_requests_in_flight": "Current number of scrapes being served.",
}


@dataclass(eq=False)  # registries key collectors by identity
class SelfMetrics(Collector):
    """The pushgateway's request metrics (plain counters: no ``_created``)."""

    version: str
    requests: dict[tuple[str, str, str], int] = field(default_factory=dict)
    push_duration: dict[str, tuple[int, float]] = field(default_factory=dict)
    push_size: dict[str, tuple[int, float]] = field(default_factory=dict)
    scrapes: dict[str, int] = field(default_factory=lambda: {"200": 0, "500": 0, "503": 0})
    scrapes_in_flight: int = 0

    def count_request(self, code: int, handler: str, method: str) -> None:
        key = (str(code), handler, method.lower())
        self.requests[key] = self.requests.get(key, 0) + 1

    def observe_push(self, method: str, seconds: float, size: int) -> None:
        m = method.lower()
        n, total = self.push_duration.get(m, (0, 0.0))
        self.push_duration[m] = (n + 1, total + seconds)
        n, total = self.push_size.get(m, (0, 0.0))
        self.push_size[m] = (n + 1, total + size)

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "pushgateway_build_info",
            OWN_HELP["pushgateway_build_info"],
            labels=["branch", "goarch", "goos", "goversion", "revision", "version"],
        )
        info.add_metric(
            [
                "",
                platform.machine(),
                platform.system().lower(),
                f"python{platform.python_version()}",
                "promlab",
                self.version,
            ],
            1,
        )
        yield info
        requests = CounterMetricFamily(
            "pushgateway_http_requests",
            OWN_HELP["pushgateway_http_requests_total"],
            labels=["code", "handler", "method"],
        )
        for key, n in sorted(self.requests.items()):
            requests.add_metric(list(key), n)
        yield requests
        for name, data in (
            ("pushgateway_http_push_duration_seconds", self.push_duration),
            ("pushgateway_http_push_size_bytes", self.push_size),
        ):
            summary = SummaryMetricFamily(name, OWN_HELP[name], labels=["method"])
            for method, (n, total) in sorted(data.items()):
                summary.add_metric([method], n, total)
            yield summary
        scrapes = CounterMetricFamily(
            "promhttp_metric_handler_requests",
            OWN_HELP["promhttp_metric_handler_requests_total"],
            labels=["code"],
        )
        for code, n in sorted(self.scrapes.items()):
            scrapes.add_metric([code], n)
        yield scrapes
        yield GaugeMetricFamily(
            "promhttp_metric_handler_requests_in_flight",
            OWN_HELP["promhttp_metric_handler_requests_in_flight"],
            value=self.scrapes_in_flight,
        )


def own_registry(self_metrics: SelfMetrics) -> CollectorRegistry:
    """The pushgateway's own registry: request metrics and process metrics."""
    registry = CollectorRegistry()
    registry.register(self_metrics)
    ProcessCollector(registry=registry)
    return registry


def own_text(registry: CollectorRegistry) -> tuple[str, set[str]]:
    """The own registry rendered as text, and the family names it holds."""
    from exporters.common.exposition import render

    text = render(registry.collect()).decode()
    names = {line.split(" ", 3)[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    return text, names
