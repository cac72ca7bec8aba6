"""Builders of realistic Kubernetes objects (plain JSON dicts, the shapes the
API server returns), for seeding the simulated cluster and for tests.

The builders fill the fields dashboards and exporters read: ownerReferences,
labels, resources, conditions with lastTransitionTime, containerStatuses with
image IDs, container IDs and restart counts. Deterministic: IDs and hashes are
derived from names, times from the ``created`` argument.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from .store import rfc3339

Obj = dict[str, Any]

#: the fixed epoch the seeded cluster's objects are created at (2025-01-01T00:00:00Z)
EPOCH = 1_735_689_600.0


def digest(text: str, n: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def template_hash(text: str) -> str:
    """A pod-template-hash-like suffix (10 chars of the lowercase alphabet upstream uses)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    n = int(digest(text, 16), 16)
    return "".join(alphabet[(n >> (5 * i)) % len(alphabet)] for i in range(10))


def ip(prefix: str, index: int) -> str:
    """``prefix`` is two octets; index enumerates the remaining two (skipping .0)."""
    return f"{prefix}.{(index // 254) % 256}.{index % 254 + 1}"


def meta(
    name: str,
    namespace: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    owner: Obj | None = None,
    created: float = EPOCH,
) -> Obj:
    m: Obj = {"name": name, "creationTimestamp": rfc3339(created)}
    if namespace is not None:
        m["namespace"] = namespace
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    if owner is not None:
        m["ownerReferences"] = [owner_ref(owner)]
    return m


def owner_ref(owner: Obj, *, controller: bool = True) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def condition(
    ctype: str, status: bool | str, at: float, reason: str = "", message: str = ""
) -> Obj:
    c: Obj = {
        "type": ctype,
        "status": status if isinstance(status, str) else ("True" if status else "False"),
        "lastTransitionTime": rfc3339(at),
    }
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def namespace(name: str, *, labels: Mapping[str, str] | None = None, created: float = EPOCH) -> Obj:
    lab = {"kubernetes.io/metadata.name": name, **(labels or {})}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(name, labels=lab, created=created),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def node(
    name: str,
    index: int = 0,
    *,
    cpu: str = "8",
    memory: str = "32Gi",
    pods: str = "110",
    control_plane: bool = False,
    ready: bool = True,
    created: float = EPOCH,
) -> Obj:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": f"zone-{'abc'[index % 3]}",
    }
    spec: Obj = {
        "podCIDR": f"10.244.{index % 256}.0/24",
        "podCIDRs": [f"10.244.{index % 256}.0/24"],
        "providerID": f"lab://{name}",
    }
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    capacity = {
        "cpu": cpu,
        "memory": memory,
        "pods": pods,
        "ephemeral-storage": "100Gi",
        "hugepages-2Mi": "0",
    }
    allocatable = dict(capacity, memory=memory, cpu=cpu)
    allocatable["ephemeral-storage"] = "95Gi"
    conditions = [
        condition(
            "MemoryPressure",
            False,
            created,
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        condition(
            "DiskPressure",
            False,
            created,
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        condition(
            "PIDPressure",
            False,
            created,
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        condition(
            "Ready",
            ready,
            created,
            "KubeletReady" if ready else "KubeletNotReady",
            "kubelet is posting ready status",
        ),
    ]
    for c in conditions:
        c["lastHeartbeatTime"] = c["lastTransitionTime"]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(
            name, labels=labels, created=created, annotations={"node.alpha.kubernetes.io/ttl": "0"}
        ),
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": ip("192.168", index)},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": digest(name + "machine", 32),
                "systemUUID": _uuid(name),
                "bootID": _uuid(name + "boot"),
                "kernelVersion": "6.1.0-28-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": "v1.32.4",
                "kubeProxyVersion": "v1.32.4",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def _uuid(text: str) -> str:
    h = digest(text, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def container(
    name: str,
    image: str,
    *,
    requests: Mapping[str, str] | None = None,
    limits: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Obj:
    c: Obj = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if requests:
        c["resources"]["requests"] = dict(requests)
    if limits:
        c["resources"]["limits"] = dict(limits)
    if port is not None:
        c["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    return c


def qos_class(containers: Sequence[Obj]) -> str:
    reqs = [c.get("resources", {}) for c in containers]
    if all(not r.get("requests") and not r.get("limits") for r in reqs):
        return "BestEffort"
    for r in reqs:
        lim, req = r.get("limits") or {}, r.get("requests") or {}
        for res in ("cpu", "memory"):
            if res not in lim or req.get(res, lim[res]) != lim[res]:
                return "Burstable"
    return "Guaranteed"


def container_status(c: Obj, pod_name: str, started: float, *, ready: bool = True) -> Obj:
    image = c["image"]
    repo = image.split(":")[0]
    if "/" not in repo:
        repo = f"docker.io/library/{repo}"
    return {
        "name": c["name"],
        "state": {"running": {"startedAt": rfc3339(started)}},
        "lastState": {},
        "ready": ready,
        "restartCount": 0,
        "image": image if "/" in image.split(":")[0] else f"docker.io/library/{image}",
        "imageID": f"{repo}@sha256:{digest(image)}",
        "containerID": f"containerd://{digest(pod_name + '/' + c['name'])}",
        "started": True,
    }


def pod(
    namespace: str,
    name: str,
    *,
    node: str | None,
    containers: Sequence[Obj],
    owner: Obj | None = None,
    labels: Mapping[str, str] | None = None,
    index: int = 0,
    host_ip: str = "",
    created: float = EPOCH,
    phase: str = "Running",
    claims: Sequence[str] = (),
    host_network: bool = False,
    priority_class: str = "",
    annotations: Mapping[str, str] | None = None,
) -> Obj:
    """A scheduled, running (by default) pod whose containers are all ready."""
    started = created + 2
    spec: Obj = {
        "containers": [dict(c) for c in containers],
        "restartPolicy": "Never" if owner is not None and owner["kind"] == "Job" else "Always",
        "schedulerName": "default-scheduler",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "priority": 0,
        "securityContext": {},
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
    }
    if host_network:
        spec["hostNetwork"] = True
    if priority_class:
        spec["priorityClassName"] = priority_class
    if claims:
        spec["volumes"] = [
            {"name": f"data-{i}", "persistentVolumeClaim": {"claimName": claim}}
            for i, claim in enumerate(claims)
        ]
    status: Obj = {"phase": phase, "qosClass": qos_class(containers)}
    if node is None:
        status["phase"] = "Pending"
        status["conditions"] = [
            condition(
                "PodScheduled",
                False,
                created,
                "Unschedulable",
                "0/3 nodes are available: 3 Insufficient cpu.",
            )
        ]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta(
                name,
                namespace,
                labels=labels,
                annotations=annotations,
                owner=owner,
                created=created,
            ),
            "spec": spec,
            "status": status,
        }
    spec["nodeName"] = node
    pod_ip = host_ip if host_network else ip("10.244", index)
    running = phase == "Running"
    status.update(
        {
            "conditions": [
                condition("PodReadyToStartContainers", True, created + 1),
                condition("Initialized", True, created),
                condition("Ready", running, started),
                condition("ContainersReady", running, started),
                condition("PodScheduled", True, created),
            ],
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": rfc3339(created),
            "containerStatuses": [
                container_status(c, name, started, ready=running) for c in containers
            ],
        }
    )
    if phase == "Succeeded":
        for cs in status["containerStatuses"]:
            cs["state"] = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": rfc3339(started),
                    "finishedAt": rfc3339(started + 30),
                    "containerID": cs["containerID"],
                }
            }
            cs["started"] = False
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(
            name, namespace, labels=labels, annotations=annotations, owner=owner, created=created
        ),
        "spec": spec,
        "status": status,
    }


def service(
    namespace: str,
    name: str,
    cluster_ip: str,
    port: int,
    *,
    selector: Mapping[str, str] | None = None,
    created: float = EPOCH,
) -> Obj:
    sel = dict(selector or {"app.kubernetes.io/name": name})
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, namespace, labels=sel, created=created),
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "selector": sel,
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
        "status": {"loadBalancer": {}},
    }


def endpoints(svc: Obj, pods: Sequence[Obj]) -> Obj:
    """What the endpoints controller makes of ``svc`` and the pods it selects:
    ready pods under ``addresses``, the others under ``notReadyAddresses``."""
    port = svc["spec"]["ports"][0]
    by_readiness: dict[bool, list[Obj]] = {True: [], False: []}
    for p in pods:
        if not p["status"].get("podIP"):
            continue
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in p["status"].get("conditions", [])
        )
        by_readiness[ready].append(
            {
                "ip": p["status"]["podIP"],
                "nodeName": p["spec"]["nodeName"],
                "targetRef": {
                    "kind": "Pod",
                    "namespace": p["metadata"]["namespace"],
                    "name": p["metadata"]["name"],
                    "uid": p["metadata"].get("uid", ""),
                },
            }
        )
    subset: Obj = {}
    if by_readiness[True]:
        subset["addresses"] = by_readiness[True]
    if by_readiness[False]:
        subset["notReadyAddresses"] = by_readiness[False]
    if subset:
        subset["ports"] = [{"name": port["name"], "port": port["targetPort"], "protocol": "TCP"}]
    subsets = [subset] if subset else []
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": meta(
            svc["metadata"]["name"],
            svc["metadata"]["namespace"],
            labels=svc["metadata"].get("labels"),
        ),
        "subsets": subsets,
    }


def pvc(
    namespace: str,
    name: str,
    size: str,
    volume: str,
    *,
    created: float = EPOCH,
    labels: Mapping[str, str] | None = None,
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(name, namespace, labels=labels, created=created),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "standard",
            "volumeMode": "Filesystem",
            "volumeName": volume,
            "resources": {"requests": {"storage": size}},
        },
        "status": {
            "phase": "Bound",
            "accessModes": ["ReadWriteOnce"],
            "capacity": {"storage": size},
        },
    }


def pv(name: str, size: str, claim: Obj | None, *, created: float = EPOCH) -> Obj:
    spec: Obj = {
        "capacity": {"storage": size},
        "accessModes": ["ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Delete",
        "storageClassName": "standard",
        "volumeMode": "Filesystem",
        "csi": {
            "driver": "pd.csi.lab.io",
            "volumeHandle": f"vol-{digest(name, 12)}",
            "fsType": "ext4",
        },
    }
    if claim is not None:
        spec["claimRef"] = {
            "kind": "PersistentVolumeClaim",
            "namespace": claim["metadata"]["namespace"],
            "name": claim["metadata"]["name"],
            "apiVersion": "v1",
        }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": meta(name, created=created),
        "spec": spec,
        "status": {"phase": "Bound" if claim is not None else "Available"},
    }


def resource_quota(
    namespace: str,
    name: str,
    hard: Mapping[str, str],
    used: Mapping[str, str],
    *,
    created: float = EPOCH,
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": meta(name, namespace, created=created),
        "spec": {"hard": dict(hard)},
        "status": {"hard": dict(hard), "used": dict(used)},
    }
