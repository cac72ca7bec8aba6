"""A plausible cluster of a given size: what ``promlab cluster simulate
--nodes N --pods M`` starts with.

Layout (M pods in total, exactly, once M covers the fixed part):
- nodes ``node-0000`` ... (the first is the control plane, tainted NoSchedule);
- kube-system: a static ``kube-apiserver-<cp>`` pod owned by its Node, a
  ``kube-proxy`` DaemonSet with a pod on every node (when M leaves room);
- monitoring: StatefulSet ``prometheus`` (2 pods, PVCs + PVs), a PDB;
- default: CronJob ``backup`` -> Job -> one Succeeded pod, a bare ``debug`` pod;
- ``app-<k>`` namespaces with a ResourceQuota: Deployments of up to 10 pods
  (ReplicaSet, Service + Endpoints, an HPA on every other one).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from . import objects as o
from . import workloads as w
from .control import Cluster
from .errors import BadRequest
from .store import Obj

APP_IMAGE = "ghcr.io/promlab/shop:1.4.2"
PODS_PER_DEPLOYMENT = 10
DEPLOYMENTS_PER_NAMESPACE = 50
#: pods that are not in Deployments or the DaemonSet: apiserver, 2 prometheus, job, debug
FIXED_PODS = 5


def _app_containers() -> list[Obj]:
    return [
        o.container(
            "app",
            APP_IMAGE,
            requests={"cpu": "100m", "memory": "128Mi"},
            limits={"cpu": "500m", "memory": "256Mi"},
            port=8080,
        ),
        o.container(
            "envoy",
            "envoyproxy/envoy:v1.31.2",
            requests={"cpu": "50m", "memory": "64Mi"},
            limits={"memory": "128Mi"},
        ),
    ]


def populate(cluster: Cluster, *, nodes: int = 3, pods: int = 30) -> None:
    """Create the layout above in an empty cluster."""
    for ns in ("default", "kube-system", "kube-public", "monitoring"):
        cluster.create(o.namespace(ns))
    node_objs = [
        cluster.create(o.node(f"node-{i:04d}", i, control_plane=(i == 0 and nodes > 1)))
        for i in range(nodes)
    ]
    if not node_objs:
        return
    cp = node_objs[0]
    workers = node_objs[1:] or node_objs
    budget = pods
    if budget <= 0:
        return

    def host_ip(n: Obj) -> str:
        return str(n["status"]["addresses"][0]["address"])

    api = o.container(
        "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.32.4", requests={"cpu": "250m"}
    )
    static = o.pod(
        "kube-system",
        f"kube-apiserver-{cp['metadata']['name']}",
        node=cp["metadata"]["name"],
        containers=[api],
        owner=cp,
        labels={"component": "kube-apiserver", "tier": "control-plane"},
        host_ip=host_ip(cp),
        host_network=True,
        priority_class="system-node-critical",
    )
    static["metadata"]["ownerReferences"][0]["controller"] = True
    cluster.create(static)
    budget -= 1

    if budget >= nodes + FIXED_PODS - 1 and nodes > 1:
        proxy = [
            o.container(
                "kube-proxy",
                "registry.k8s.io/kube-proxy:v1.32.4",
                requests={"cpu": "10m", "memory": "32Mi"},
            )
        ]
        ds = cluster.create(w.daemonset("kube-system", "kube-proxy", proxy, nodes))
        labels = ds["spec"]["selector"]["matchLabels"]
        used: set[str] = set()
        for n in node_objs:
            cluster.create(
                o.pod(
                    "kube-system",
                    _unique("kube-proxy", n["metadata"]["name"], used),
                    node=n["metadata"]["name"],
                    containers=proxy,
                    owner=ds,
                    labels=labels,
                    host_ip=host_ip(n),
                    host_network=True,
                    priority_class="system-node-critical",
                )
            )
        budget -= nodes

    prom_c = [
        o.container(
            "prometheus",
            "quay.io/prometheus/prometheus:v3.5.0",
            requests={"cpu": "500m", "memory": "2Gi"},
            limits={"cpu": "2", "memory": "2Gi"},
            port=9090,
        )
    ]
    n_prom = min(2, max(budget - 2, 0))
    sts = cluster.create(w.statefulset("monitoring", "prometheus", n_prom, prom_c))
    for i in range(n_prom):
        claim_name = f"data-prometheus-{i}"
        vol = f"pvc-{o.digest(claim_name, 8)}"
        claim = cluster.create(
            o.pvc(
                "monitoring",
                claim_name,
                "50Gi",
                vol,
                labels={"app.kubernetes.io/name": "prometheus"},
            )
        )
        cluster.create(o.pv(vol, "50Gi", claim))
        node = workers[i % len(workers)]
        idx = cluster.next_pod_index()
        cluster.create(
            o.pod(
                "monitoring",
                f"prometheus-{i}",
                node=node["metadata"]["name"],
                containers=prom_c,
                owner=sts,
                index=idx,
                host_ip=host_ip(node),
                labels=sts["spec"]["selector"]["matchLabels"],
                claims=[claim_name],
            )
        )
        budget -= 1
    cluster.create(
        w.pdb(
            "monitoring",
            "prometheus",
            sts["spec"]["selector"]["matchLabels"],
            max(n_prom - 1, 0),
            n_prom,
            n_prom,
        )
    )

    backup_c = [o.container("backup", "busybox:1.37", requests={"cpu": "10m"})]
    cj = cluster.create(w.cronjob("default", "backup", "0 * * * *", backup_c))
    if budget >= 1:
        job = cluster.create(
            w.job("default", "backup-28950000", backup_c, owner=cj, created=o.EPOCH + 3600)
        )
        node = workers[0]
        cluster.create(
            o.pod(
                "default",
                "backup-28950000-x7k2p",
                node=node["metadata"]["name"],
                containers=backup_c,
                owner=job,
                index=cluster.next_pod_index(),
                host_ip=host_ip(node),
                phase="Succeeded",
                labels={"job-name": "backup-28950000"},
                created=o.EPOCH + 3600,
            )
        )
        budget -= 1
    if budget >= 1:
        node = workers[-1]
        cluster.create(
            o.pod(
                "default",
                "debug",
                node=node["metadata"]["name"],
                containers=[o.container("shell", "busybox:1.37")],
                index=cluster.next_pod_index(),
                host_ip=host_ip(node),
            )
        )
        budget -= 1
    _apps(cluster, workers, budget, host_ip)


def _apps(cluster: Cluster, workers: list[Obj], budget: int, host_ip: Any) -> None:
    containers = _app_containers()
    d = 0
    while budget > 0:
        ns = f"app-{d // DEPLOYMENTS_PER_NAMESPACE}"
        if d % DEPLOYMENTS_PER_NAMESPACE == 0:
            cluster.create(o.namespace(ns, labels={"team": f"team-{d // 50}"}))
            cluster.create(
                o.resource_quota(
                    ns,
                    "compute",
                    {
                        "requests.cpu": "100",
                        "requests.memory": "200Gi",
                        "limits.cpu": "200",
                        "limits.memory": "400Gi",
                        "pods": "1000",
                    },
                    {
                        "requests.cpu": "0",
                        "requests.memory": "0",
                        "limits.cpu": "0",
                        "limits.memory": "0",
                        "pods": "0",
                    },
                )
            )
        replicas = min(PODS_PER_DEPLOYMENT, budget)
        name = f"svc-{d:04d}"
        dep = cluster.create(w.deployment(ns, name, replicas, containers))
        rs = cluster.create(w.replicaset(dep))
        labels = rs["spec"]["selector"]["matchLabels"]
        created = []
        used_names: set[str] = set()
        for i in range(replicas):
            idx = cluster.next_pod_index()
            node = workers[idx % len(workers)]
            pod_name = _unique(rs["metadata"]["name"], f"{name}{i}", used_names)
            created.append(
                cluster.create(
                    o.pod(
                        ns,
                        pod_name,
                        node=node["metadata"]["name"],
                        containers=containers,
                        owner=rs,
                        labels=labels,
                        index=idx,
                        host_ip=host_ip(node),
                    )
                )
            )
        svc = cluster.create(
            o.service(
                ns,
                name,
                o.ip("10.96", d + 10),
                8080,
                selector=dep["spec"]["selector"]["matchLabels"],
            )
        )
        cluster.create(o.endpoints(svc, created))
        if d % 2 == 0:
            cluster.create(w.hpa(ns, name, dep, max(replicas - 2, 1), replicas + 5, replicas))
        _add_quota_usage(cluster, ns, replicas)
        budget -= replicas
        d += 1


def _unique(prefix: str, seed: str, used: set[str]) -> str:
    """``prefix-xxxxx`` with a 5-character hash suffix, lengthened on a collision."""
    h = o.template_hash(seed)
    for n in range(5, 11):
        name = f"{prefix}-{h[:n]}"
        if name not in used:
            used.add(name)
            return name
    name = f"{prefix}-{o.digest(seed, 16)}"
    used.add(name)
    return name


def _add_quota_usage(cluster: Cluster, ns: str, pods: int) -> None:
    def change(q: Obj) -> None:
        used = q["status"]["used"]
        n = int(used["pods"]) + pods
        used.update(
            {
                "pods": str(n),
                "requests.cpu": f"{n * 150}m",
                "requests.memory": f"{n * 192}Mi",
                "limits.cpu": f"{n * 500}m",
                "limits.memory": f"{n * 384}Mi",
            }
        )

    cluster.store.mutate("resourcequotas", ns, "compute", change)


def load_objects(path: str | Path) -> list[Obj]:
    """Objects from a YAML/JSON file: documents, ``items`` of a List, or a top-level list."""
    try:
        docs = list(yaml.safe_load_all(Path(path).read_text()))
    except yaml.YAMLError as exc:
        raise BadRequest(f"{path}: not valid YAML: {exc}") from None
    out: list[Obj] = []

    def add(items: Iterable[Any]) -> None:
        for item in items:
            if item is None:
                continue
            if not isinstance(item, dict):
                raise BadRequest(f"{path}: every object must be a mapping, got {item!r:.40}")
            if str(item.get("kind", "")).endswith("List") and "items" in item:
                add(item["items"])
            else:
                out.append(item)

    for doc in docs:
        add(doc if isinstance(doc, list) else [doc])
    # Namespaces first, so objects in them can be created whatever the file order.
    return sorted(out, key=lambda obj: obj.get("kind") != "Namespace")
