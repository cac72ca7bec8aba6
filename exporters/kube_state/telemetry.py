"""The exporter's own metrics, served on the telemetry port: list/watch
results per resource, the shard this instance serves, build info (plus the
process collector). A prometheus_client Collector, registered on a registry
the app creates (no global registry)."""

from __future__ import annotations

import platform
import threading
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

VERSION = "2.20.0-promlab"


class Telemetry:
    def __init__(self, *, shard: int = 0, total_shards: int = 1) -> None:
        self._lock = threading.Lock()
        self._list: dict[tuple[str, str], float] = {}
        self._watch: dict[tuple[str, str], float] = {}
        self.shard = shard
        self.total_shards = total_shards

    def list_result(self, go_type: str, ok: bool) -> None:
        key = (go_type, "success" if ok else "error")
        with self._lock:
            self._list[key] = self._list.get(key, 0.0) + 1

    def watch_result(self, go_type: str, ok: bool) -> None:
        key = (go_type, "success" if ok else "error")
        with self._lock:
            self._watch[key] = self._watch.get(key, 0.0) + 1

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            lists, watches = dict(self._list), dict(self._watch)
        lt = CounterMetricFamily(
            "kube_state_metrics_list",
            "Number of total resource list in kube-state-metrics",
            labels=["resource", "result"],
        )
        for (res, result), v in sorted(lists.items()):
            lt.add_metric([res, result], v)
        yield lt
        wt = CounterMetricFamily(
            "kube_state_metrics_watch",
            "Number of total resource watches in kube-state-metrics",
            labels=["resource", "result"],
        )
        for (res, result), v in sorted(watches.items()):
            wt.add_metric([res, result], v)
        yield wt
        so = GaugeMetricFamily(
            "kube_state_metrics_shard_ordinal",
            "Current sharding ordinal/index of this instance",
            labels=["shard_ordinal"],
        )
        so.add_metric([str(self.shard)], float(self.shard))
        yield so
        yield GaugeMetricFamily(
            "kube_state_metrics_total_shards",
            "Number of total shards this instance is aware of",
            value=float(self.total_shards),
        )
        bi = GaugeMetricFamily(
            "kube_state_metrics_build_info",
            "A metric with a constant '1' value labeled by version, revision, branch, "
            "goversion from which kube_state_metrics was built, and the goos and goarch for "
            "the build.",
            labels=["branch", "goarch", "goos", "goversion", "revision", "tags", "version"],
        )
        bi.add_metric(
            [
                "main",
                platform.machine(),
                platform.system().lower(),
                f"python{platform.python_version()}",
                "unknown",
                "",
                VERSION,
            ],
            1.0,
        )
        yield bi
