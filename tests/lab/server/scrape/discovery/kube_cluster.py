"""A small simulated cluster for kubernetes_sd tests, served over HTTP, and the
scrape configs the tests share with the reference implementations.

Layout: nodes ``node-0``/``node-1``; namespace ``shop`` with Deployment ``web``
(annotated ``prometheus.io/scrape``, one container port 8080) and Deployment
``api`` (not annotated; ports 8080 and 9102, a sidecar without ports), each
with a Service on 8080 and its Endpoints. No pod shares an address with
another, so no two targets collapse into one.
"""

from __future__ import annotations

from lab.cluster import objects as o
from lab.cluster import workloads as w
from lab.cluster.control import Cluster
from lab.cluster.store import Obj, Store

NS = "shop"
SCRAPE_ANNOTATIONS = {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": "8080",
    "prometheus.io/path": "/custom/metrics",
}


def _deployment(
    cluster: Cluster,
    name: str,
    replicas: int,
    containers: list[Obj],
    annotations: dict[str, str] | None = None,
) -> None:
    dep = cluster.create(w.deployment(NS, name, 0, containers, pod_annotations=annotations))
    cluster.create(w.replicaset(dep))
    svc_index = len(cluster.store.items("services", NS)) + 10
    cluster.create(o.service(NS, name, o.ip("10.96", svc_index), 8080))
    cluster.scale_deployment(NS, name, replicas)


def build(*, history: int = 1000) -> Cluster:
    cluster = Cluster(Store(history=history))
    for ns in ("default", NS):
        cluster.create(o.namespace(ns))
    for i in range(2):
        cluster.create(o.node(f"node-{i}", i))
    web = o.container("app", "ghcr.io/promlab/shop:1.4.2", port=8080)
    _deployment(cluster, "web", 2, [web], SCRAPE_ANNOTATIONS)
    api = o.container("api", "ghcr.io/promlab/api:2.0.1", port=8080)
    api["ports"].append({"name": "metrics", "containerPort": 9102, "protocol": "TCP"})
    sidecar = o.container("envoy", "envoyproxy/envoy:v1.31.2")
    _deployment(cluster, "api", 2, [api, sidecar])
    return cluster


def pods_of(cluster: Cluster, deployment: str) -> list[Obj]:
    return cluster.pods_of(NS, cluster.replicaset_of(NS, deployment))


#: The classic annotation-driven pod job (as in Prometheus' example config),
#: plus two lab-only rules: ``instance`` keeps the pod address, and the
#: scrape itself goes to a closed loopback port (tests never reach pod IPs).
ANNOTATION_RELABELING = """\
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: "true"
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        regex: (.+)
        target_label: __metrics_path__
      - action: labelmap
        regex: __meta_kubernetes_pod_label_(.+)
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
"""

LOOPBACK_ONLY = """\
      - source_labels: [__address__]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{dead_port}
"""


def scrape_config(api_server: str, dead_port: int, *, roles: tuple[str, ...] = ()) -> str:
    """Job ``annotated`` (role pod + the classic relabeling) and one job per
    role in ``roles`` that keeps every discovered target."""
    sd = f"    kubernetes_sd_configs:\n      - role: {{role}}\n        api_server: {api_server}\n"
    loopback = LOOPBACK_ONLY.format(dead_port=dead_port)
    text = "global:\n  scrape_interval: 30s\nscrape_configs:\n"
    text += "  - job_name: annotated\n" + sd.format(role="pod")
    text += "    relabel_configs:\n" + ANNOTATION_RELABELING + loopback
    for role in roles:
        text += f"  - job_name: {role}\n" + sd.format(role=role)
        text += "    relabel_configs:\n" + loopback
    return text
