"""Targets emit exactly the exporters' names and labels, with counter semantics."""

from __future__ import annotations

import numpy as np
import pytest

from lab.model.value import stale_mask
from lab.scenarios.runner import Replay, render
from lab.scenarios.scenario import Fault, Scenario
from lab.scenarios.shapes import sawtooth, step, stop
from lab.scenarios.targets import BatchJob, Node, Volume, web_service
from lab.scenarios.targets.base import counter

#: metric name -> label names (besides job/instance and target labels) that
#: the exporter (node exporter, kube-state-metrics, cAdvisor, the app, the
#: Pushgateway, the scrape loop) uses for it. Every generated series must match.
EXPECTED_LABELS: dict[str, set[str]] = {
    "node_cpu_seconds_total": {"cpu", "mode"},
    "node_load1": set(), "node_load5": set(), "node_load15": set(),
    "node_memory_MemTotal_bytes": set(), "node_memory_MemAvailable_bytes": set(),
    "node_memory_MemFree_bytes": set(), "node_memory_Cached_bytes": set(),
    "node_memory_Buffers_bytes": set(), "node_memory_SwapTotal_bytes": set(),
    "node_vmstat_pgmajfault": set(), "node_vmstat_oom_kill": set(),
    **{f"node_filesystem_{m}": {"device", "mountpoint", "fstype"}
       for m in ("size_bytes", "free_bytes", "avail_bytes", "files", "files_free", "readonly")},
    **{f"node_network_{d}_{m}_total": {"device"} for d in ("receive", "transmit")
       for m in ("bytes", "packets", "errs", "drop")},
    "node_network_up": {"device"},
    "node_boot_time_seconds": set(),
    "node_disk_io_time_seconds_total": {"device"},
    "node_uname_info": {"sysname", "release", "version", "machine", "nodename", "domainname"},
    "kube_node_status_condition": {"node", "condition", "status"},
    "kube_node_info": {"node", "kernel_version", "os_image", "container_runtime_version",
                       "kubelet_version", "kubeproxy_version", "internal_ip"},
    "kube_node_status_allocatable": {"node", "resource", "unit"},
    "kube_node_spec_unschedulable": {"node"},
    "kube_pod_info": {"namespace", "pod", "uid", "node", "pod_ip", "host_ip", "created_by_kind",
                      "created_by_name", "host_network"},
    "kube_pod_owner": {"namespace", "pod", "uid", "owner_kind", "owner_name",
                       "owner_is_controller"},
    "kube_pod_status_phase": {"namespace", "pod", "uid", "phase"},
    "kube_pod_status_ready": {"namespace", "pod", "uid", "condition"},
    "kube_pod_container_status_restarts_total": {"namespace", "pod", "uid", "container"},
    "kube_pod_container_status_ready": {"namespace", "pod", "uid", "container"},
    "kube_pod_container_status_waiting": {"namespace", "pod", "uid", "container"},
    "kube_pod_container_status_waiting_reason": {"namespace", "pod", "uid", "container",
                                                 "reason"},
    "kube_pod_container_status_last_terminated_reason": {"namespace", "pod", "uid", "container",
                                                         "reason"},
    "kube_pod_container_resource_requests": {"namespace", "pod", "uid", "container", "node",
                                             "resource", "unit"},
    "kube_pod_container_resource_limits": {"namespace", "pod", "uid", "container", "node",
                                           "resource", "unit"},
    **{f"kube_deployment_{m}": {"namespace", "deployment"} for m in (
        "spec_replicas", "status_replicas", "status_replicas_available",
        "status_replicas_ready", "status_replicas_unavailable", "status_replicas_updated",
        "metadata_generation", "status_observed_generation")},
    "kube_deployment_status_condition": {"namespace", "deployment", "condition", "status",
                                         "reason"},
    **{m: {"namespace", "pod", "container", "node", "image"} for m in (
        "container_cpu_usage_seconds_total", "container_cpu_cfs_periods_total",
        "container_cpu_cfs_throttled_periods_total", "container_memory_working_set_bytes",
        "container_spec_memory_limit_bytes")},
    "http_requests_total": {"method", "route", "code"},
    "http_request_duration_seconds_bucket": {"method", "route", "le"},
    "http_request_duration_seconds_count": {"method", "route"},
    "http_request_duration_seconds_sum": {"method", "route"},
    "http_requests_in_flight": set(),
    **{f"kubelet_volume_stats_{m}": {"namespace", "persistentvolumeclaim"} for m in (
        "capacity_bytes", "used_bytes", "available_bytes", "inodes", "inodes_free")},
    **{m: set() for m in ("batch_job_last_success_timestamp_seconds",
                          "batch_job_last_failure_timestamp_seconds", "batch_job_duration_seconds",
                          "batch_job_records_processed", "push_time_seconds",
                          "push_failure_time_seconds")},
    **{m: set() for m in ("up", "scrape_samples_scraped", "scrape_series_added",
                          "scrape_duration_seconds")},
}
#: labels service discovery adds to a scrape target's series
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "metrics_path"}


class Everything(Scenario):
    name = "everything"
    description = "Every target kind, with restarts, a reboot and a crash loop."
    duration = "1h"
    baseline = "10m"
    targets = (
        Node("node-1"),
        web_service("shop", replicas=2, nodes=("node-1",)),
        Volume("data-0"),
        BatchJob("export"),
    )
    faults = (
        Fault("reboot", at="20m", target="node-1", knob="down", shape=stop(for_="5m")),
        Fault("crash", at="15m", target="shop", knob="crash", members=(0,),
              shape=step(1, for_="20m")),
        Fault("oom", at="15m", target="shop", knob="memory", members=(1,),
              shape=sawtooth(0.6, period="5m", cycles=3)),
        Fault("paths", at="40m", target="shop", knob="cardinality", shape=step(5, for_="5m")),
    )


@pytest.fixture(scope="module")
def replay() -> Replay:
    return render(Everything)


def test_names_and_labels_are_the_exporters(replay: Replay) -> None:
    for s in replay.series:
        name = s.labels.name
        assert name in EXPECTED_LABELS, f"unexpected metric {name}"
        extra = set(s.labels.names()) - {"__name__"} - TARGET_LABELS
        assert extra <= EXPECTED_LABELS[name], f"{s.labels}: unexpected labels {extra}"


def test_counters_are_monotonic_except_at_restarts(replay: Replay) -> None:
    resets = 0
    for s in replay.series:
        if not (s.labels.name.endswith(("_total", "_bucket", "_count", "_sum"))
                or s.labels.name == "node_vmstat_pgmajfault"):
            continue
        values = s.values[~stale_mask(s.values)]
        drops = np.flatnonzero(np.diff(values) < 0)
        resets += drops.size
        # A reset starts again near zero (a new process), never just dips.
        for i in drops:
            assert values[i + 1] < 0.5 * values[i] + 1e6, s.labels
    assert resets > 0, "the reboot and the restarts must reset some counters"


def test_histogram_buckets_are_cumulative(replay: Replay) -> None:
    buckets: dict[tuple[str, ...], list[tuple[float, np.ndarray]]] = {}
    for s in replay.series:
        if s.labels.name == "http_request_duration_seconds_bucket":
            key = (s.labels.get("pod"), s.labels.get("route"), s.labels.get("method"))
            buckets.setdefault(key, []).append((float(s.labels.get("le")), s.values))
    assert buckets
    for series in buckets.values():
        series.sort(key=lambda x: x[0])
        stacked = np.stack([v for _, v in series])
        ok = ~np.isnan(stacked).any(axis=0)
        assert (np.diff(stacked[:, ok], axis=0) >= 0).all()


def test_staleness_marker_when_a_target_goes_down(replay: Replay) -> None:
    load = [s for s in replay.series if s.labels.name == "node_load1"]
    assert len(load) == 1
    stale = stale_mask(load[0].values)
    assert stale.sum() == 1  # one marker when the node stops answering
    up = next(s for s in replay.series if s.labels.name == "up" and s.labels.get("job") == "node")
    assert up.values.min() == 0 and up.values.max() == 1


def test_counter_helper() -> None:
    inc = np.ones(6)
    resets = np.array([False, False, False, True, False, False])
    assert counter(inc, resets, initial=100).tolist() == [101, 102, 103, 1, 2, 3]
