"""The Python API that drives incidents in the simulated cluster.

``Cluster`` wraps a ``Store`` and does, synchronously and consistently, what a
controller manager and kubelets would do: scaling a deployment creates or
deletes pods and converges the ReplicaSet and Deployment status; a crash loop
bumps ``restartCount`` with ``lastState.terminated`` and a CrashLoopBackOff
wait; a NotReady node gets the node-lifecycle taints. Every change is a store
update, so watchers (the exporter, Prometheus' SD) see ordinary events.

Not covered by kube-state-metrics (and so only annotated here): volume usage
(``kubelet_volume_stats_*`` comes from the kubelet) and container CPU/memory
usage (cAdvisor). ``fill_pvc`` records the usage as annotations
``lab.promlab.io/used-bytes`` / ``lab.promlab.io/capacity-bytes``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from . import objects
from .errors import Invalid, NotFound
from .resources import RESOURCE_TYPES
from .store import Obj, Store, rfc3339

_PLURAL_BY_KIND = {rt.kind: rt.plural for rt in RESOURCE_TYPES}
USED_BYTES = "lab.promlab.io/used-bytes"
CAPACITY_BYTES = "lab.promlab.io/capacity-bytes"


class Cluster:
    """High-level operations on a simulated cluster's store."""

    def __init__(self, store: Store | None = None, *, clock: Callable[[], float] = time.time):
        self.store = store if store is not None else Store(clock=clock)
        self.clock = clock
        self._ip_index = 0

    # -- generic -----------------------------------------------------------------

    def create(self, obj: Obj) -> Obj:
        """Create any supported object (its plural is looked up from ``kind``)."""
        plural = _PLURAL_BY_KIND.get(obj.get("kind", ""))
        if plural is None:
            raise Invalid(f"unsupported kind {obj.get('kind')!r}")
        return self.store.create(plural, obj.get("metadata", {}).get("namespace"), obj)

    def get(self, plural: str, namespace: str | None, name: str) -> Obj:
        return self.store.get(plural, namespace, name)

    def delete(self, plural: str, namespace: str | None, name: str) -> Obj:
        return self.store.delete(plural, namespace, name)

    def next_pod_index(self) -> int:
        self._ip_index += 1
        return self._ip_index

    def _now(self) -> str:
        return rfc3339(self.clock())

    # -- workloads ---------------------------------------------------------------

    def _schedulable_nodes(self) -> list[Obj]:
        nodes = [
            n
            for n in self.store.items("nodes")
            if not n.get("spec", {}).get("unschedulable")
            and not any(
                t.get("effect") == "NoSchedule" for t in n.get("spec", {}).get("taints", [])
            )
        ]
        return nodes or self.store.items("nodes")

    def _owned(self, plural: str, namespace: str, owner_uid: str) -> list[Obj]:
        return [
            o
            for o in self.store.items(plural, namespace)
            if any(r.get("uid") == owner_uid for r in o["metadata"].get("ownerReferences", []))
        ]

    def replicaset_of(self, namespace: str, deployment: str) -> Obj:
        dep = self.store.get("deployments", namespace, deployment)
        owned = self._owned("replicasets", namespace, dep["metadata"]["uid"])
        if not owned:
            raise NotFound(f'no replicaset owned by deployment "{deployment}"')
        return owned[-1]

    def pods_of(self, namespace: str, owner: Obj) -> list[Obj]:
        return self._owned("pods", namespace, owner["metadata"]["uid"])

    def scale_deployment(self, namespace: str, name: str, replicas: int) -> None:
        """Set spec.replicas, then converge: pods created/deleted, statuses updated."""
        if replicas < 0:
            raise Invalid("replicas must be >= 0")
        self.store.mutate(
            "deployments", namespace, name, lambda d: d["spec"].__setitem__("replicas", replicas)
        )
        rs = self.replicaset_of(namespace, name)
        self.store.mutate(
            "replicasets",
            namespace,
            rs["metadata"]["name"],
            lambda r: r["spec"].__setitem__("replicas", replicas),
        )
        rs = self.store.get("replicasets", namespace, rs["metadata"]["name"])
        pods = self.pods_of(namespace, rs)
        nodes = self._schedulable_nodes()
        containers = rs["spec"]["template"]["spec"]["containers"]
        labels = rs["spec"]["template"]["metadata"]["labels"]
        annotations = rs["spec"]["template"]["metadata"].get("annotations")
        existing = {p["metadata"]["name"] for p in pods}
        i = 0
        while len(pods) < replicas:
            pod_name = f"{rs['metadata']['name']}-{objects.digest(f'{i}{len(pods)}', 5)}"
            i += 1
            if pod_name in existing:
                continue
            idx = self.next_pod_index()
            node = nodes[idx % len(nodes)] if nodes else None
            host_ip = _internal_ip(node) if node else ""
            p = objects.pod(
                namespace,
                pod_name,
                node=node["metadata"]["name"] if node else None,
                containers=containers,
                owner=rs,
                labels=labels,
                index=idx,
                host_ip=host_ip,
                created=self.clock(),
                annotations=annotations,
            )
            pods.append(self.create(p))
            existing.add(pod_name)
        for extra in pods[replicas:]:
            self.store.delete("pods", namespace, extra["metadata"]["name"])
        self.reconcile_deployment(namespace, name)
        self.sync_endpoints(namespace)

    def reconcile_deployment(self, namespace: str, name: str) -> None:
        """Recompute ReplicaSet and Deployment status from their pods' readiness."""
        dep = self.store.get("deployments", namespace, name)
        total = ready = 0
        for rs in self._owned("replicasets", namespace, dep["metadata"]["uid"]):
            pods = self.pods_of(namespace, rs)
            n, r = len(pods), sum(1 for p in pods if _pod_ready(p))
            total, ready = total + n, ready + r

            def set_rs(o: Obj, n: int = n, r: int = r) -> None:
                o["status"].update(
                    {
                        "replicas": n,
                        "fullyLabeledReplicas": n,
                        "readyReplicas": r,
                        "availableReplicas": r,
                        "observedGeneration": o["metadata"].get("generation", 1),
                    }
                )

            self.store.mutate("replicasets", namespace, rs["metadata"]["name"], set_rs)
        want = dep["spec"].get("replicas", 1)
        at = self.clock()

        def set_dep(o: Obj) -> None:
            o["status"].update(
                {
                    "replicas": total,
                    "updatedReplicas": total,
                    "readyReplicas": ready,
                    "availableReplicas": ready,
                    "unavailableReplicas": max(want - ready, 0),
                    "observedGeneration": o["metadata"].get("generation", 1),
                }
            )
            _set_condition(
                o["status"],
                objects.condition(
                    "Available",
                    ready >= want,
                    at,
                    "MinimumReplicasAvailable" if ready >= want else "MinimumReplicasUnavailable",
                ),
            )

        self.store.mutate("deployments", namespace, name, set_dep)

    def _owner_deployment(self, pod: Obj) -> tuple[str, str] | None:
        ns = pod["metadata"]["namespace"]
        for ref in pod["metadata"].get("ownerReferences", []):
            if ref.get("kind") != "ReplicaSet":
                continue
            try:
                rs = self.store.get("replicasets", ns, ref["name"])
            except NotFound:
                return None
            for rref in rs["metadata"].get("ownerReferences", []):
                if rref.get("kind") == "Deployment":
                    return ns, rref["name"]
        return None

    def _pod_changed(self, pod: Obj) -> None:
        owner = self._owner_deployment(pod)
        if owner is not None:
            self.reconcile_deployment(*owner)
        self.sync_endpoints(pod["metadata"]["namespace"], changed=pod)

    def sync_endpoints(self, namespace: str, *, changed: Obj | None = None) -> None:
        """The endpoints controller: each Service with a selector gets the Endpoints
        of the pods it selects (written only when they change, so no idle events).
        With ``changed``, only the Services that select that pod are looked at."""
        for svc in self.store.items("services", namespace):
            selector = svc["spec"].get("selector")
            if not selector or not svc["spec"].get("ports"):
                continue
            if changed is not None and not _selects(selector, changed):
                continue
            pods = [
                p
                for p in self.store.items("pods", namespace)
                if _selects(selector, p) and p["status"].get("phase") not in ("Succeeded", "Failed")
            ]
            want = objects.endpoints(svc, pods)
            name = svc["metadata"]["name"]
            try:
                current = self.store.get("endpoints", namespace, name)
            except NotFound:
                self.store.create("endpoints", namespace, want)
                continue
            if current.get("subsets", []) != want["subsets"]:
                self.store.mutate("endpoints", namespace, name, _set_subsets(want["subsets"]))

    # -- pods --------------------------------------------------------------------

    def _container_status(self, pod: Obj, container: str | None) -> dict[str, Any]:
        statuses = pod["status"].get("containerStatuses", [])
        for cs in statuses:
            if container is None or cs["name"] == container:
                return dict(cs)
        raise NotFound(f'container "{container}" not found in pod "{pod["metadata"]["name"]}"')

    def _terminate(
        self,
        namespace: str,
        name: str,
        container: str | None,
        *,
        reason: str,
        exit_code: int,
        then: str,
    ) -> Obj:
        now = self._now()

        def change(pod: Obj) -> None:
            for cs in pod["status"].get("containerStatuses", []):
                if container is not None and cs["name"] != container:
                    continue
                started = cs.get("state", {}).get("running", {}).get("startedAt", now)
                cs["restartCount"] = int(cs.get("restartCount", 0)) + 1
                cs["lastState"] = {
                    "terminated": {
                        "exitCode": exit_code,
                        "reason": reason,
                        "startedAt": started,
                        "finishedAt": now,
                        "containerID": cs.get("containerID", ""),
                    }
                }
                if then == "running":
                    cs["state"] = {"running": {"startedAt": now}}
                    cs["ready"] = True
                else:
                    cs["state"] = {
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": f"back-off 5m0s restarting failed container={cs['name']} "
                            f"pod={name}_{namespace}({pod['metadata']['uid']})",
                        }
                    }
                    cs["ready"] = False
                    cs["started"] = False
                if container is None:
                    break
            _sync_ready(pod, self.clock())

        pod = self.store.mutate("pods", namespace, name, change)
        self._pod_changed(pod)
        return pod

    def crash_loop(
        self, namespace: str, name: str, container: str | None = None, *, exit_code: int = 1
    ) -> Obj:
        """One more crash: restartCount+1, lastState terminated Error, waiting CrashLoopBackOff."""
        return self._terminate(
            namespace, name, container, reason="Error", exit_code=exit_code, then="waiting"
        )

    def oom_kill(self, namespace: str, name: str, container: str | None = None) -> Obj:
        """OOM kill and restart: restartCount+1, lastState terminated OOMKilled (137)."""
        return self._terminate(
            namespace, name, container, reason="OOMKilled", exit_code=137, then="running"
        )

    def recover_pod(self, namespace: str, name: str) -> Obj:
        """Every container running and ready again (restart counts kept)."""
        now = self._now()

        def change(pod: Obj) -> None:
            for cs in pod["status"].get("containerStatuses", []):
                cs["state"] = {"running": {"startedAt": now}}
                cs["ready"] = cs["started"] = True
            pod["status"]["phase"] = "Running"
            _sync_ready(pod, self.clock())

        pod = self.store.mutate("pods", namespace, name, change)
        self._pod_changed(pod)
        return pod

    def image_pull_backoff(self, namespace: str, name: str, container: str | None = None) -> Obj:
        def change(pod: Obj) -> None:
            for cs in pod["status"].get("containerStatuses", []):
                if container is None or cs["name"] == container:
                    cs["state"] = {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": f'Back-off pulling image "{cs["image"]}"',
                        }
                    }
                    cs["ready"] = cs["started"] = False
            _sync_ready(pod, self.clock())

        pod = self.store.mutate("pods", namespace, name, change)
        self._pod_changed(pod)
        return pod

    def set_pod_phase(self, namespace: str, name: str, phase: str, reason: str = "") -> Obj:
        if phase not in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
            raise Invalid(f"unknown pod phase {phase!r}")

        def change(pod: Obj) -> None:
            pod["status"]["phase"] = phase
            if reason:
                pod["status"]["reason"] = reason
            else:
                pod["status"].pop("reason", None)
            _sync_ready(pod, self.clock())

        pod = self.store.mutate("pods", namespace, name, change)
        self._pod_changed(pod)
        return pod

    def evict_pod(self, namespace: str, name: str) -> Obj:
        return self.set_pod_phase(namespace, name, "Failed", reason="Evicted")

    def delete_pod(self, namespace: str, name: str) -> Obj:
        pod = self.store.delete("pods", namespace, name)
        self._pod_changed(pod)
        return pod

    # -- nodes -------------------------------------------------------------------

    def set_node_ready(self, name: str, ready: bool) -> Obj:
        """Ready True, or Unknown (kubelet stopped posting) with the unreachable taints."""
        at = self.clock()
        taints = [
            {"key": "node.kubernetes.io/unreachable", "effect": e, "timeAdded": rfc3339(at)}
            for e in ("NoSchedule", "NoExecute")
        ]

        def change(node: Obj) -> None:
            status = "True" if ready else "Unknown"
            reason = "KubeletReady" if ready else "NodeStatusUnknown"
            message = (
                "kubelet is posting ready status"
                if ready
                else "Kubelet stopped posting node status."
            )
            _set_condition(node["status"], objects.condition("Ready", status, at, reason, message))
            kept = [
                t
                for t in node["spec"].get("taints", [])
                if t.get("key") != "node.kubernetes.io/unreachable"
            ]
            node["spec"]["taints"] = kept if ready else kept + copy.deepcopy(taints)
            if not node["spec"]["taints"]:
                del node["spec"]["taints"]

        return self.store.mutate("nodes", None, name, change)

    def set_node_condition(self, name: str, ctype: str, status: bool, reason: str = "") -> Obj:
        """E.g. ``MemoryPressure`` / ``DiskPressure`` / ``PIDPressure`` True."""
        at = self.clock()
        return self.store.mutate(
            "nodes",
            None,
            name,
            lambda n: _set_condition(
                n["status"], objects.condition(ctype, status, at, reason or ctype)
            ),
        )

    def cordon(self, name: str, unschedulable: bool = True) -> Obj:
        def change(node: Obj) -> None:
            node["spec"]["unschedulable"] = unschedulable
            kept = [
                t
                for t in node["spec"].get("taints", [])
                if t.get("key") != "node.kubernetes.io/unschedulable"
            ]
            if unschedulable:
                kept.append(
                    {
                        "key": "node.kubernetes.io/unschedulable",
                        "effect": "NoSchedule",
                        "timeAdded": self._now(),
                    }
                )
            node["spec"]["taints"] = kept

        return self.store.mutate("nodes", None, name, change)

    # -- storage and jobs ----------------------------------------------------------

    def fill_pvc(self, namespace: str, name: str, used_bytes: int) -> Obj:
        """Record volume usage (a kubelet metric, not KSM's) as annotations."""

        def change(claim: Obj) -> None:
            ann = claim["metadata"].setdefault("annotations", {})
            ann[USED_BYTES] = str(int(used_bytes))
            size = claim.get("status", {}).get("capacity", {}).get("storage", "")
            ann[CAPACITY_BYTES] = str(int(_quantity_bytes(size))) if size else ""

        return self.store.mutate("persistentvolumeclaims", namespace, name, change)

    def fail_job(self, namespace: str, name: str, reason: str = "BackoffLimitExceeded") -> Obj:
        at = self.clock()

        def change(job: Obj) -> None:
            st = job.setdefault("status", {})
            st.pop("active", None)
            st.pop("completionTime", None)
            st["failed"] = int(st.get("failed", 0)) + job["spec"].get("backoffLimit", 6) + 1
            st["conditions"] = [
                objects.condition(
                    "FailureTarget", True, at, reason, "Job has reached the specified backoff limit"
                ),
                objects.condition(
                    "Failed", True, at, reason, "Job has reached the specified backoff limit"
                ),
            ]

        return self.store.mutate("jobs", namespace, name, change)

    def set_quota_used(self, namespace: str, name: str, used: dict[str, str]) -> Obj:
        return self.store.mutate(
            "resourcequotas",
            namespace,
            name,
            lambda q: q["status"].setdefault("used", {}).update(used),
        )


def _selects(selector: dict[str, str], pod: Obj) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _set_subsets(subsets: list[Obj]) -> Callable[[Obj], None]:
    def change(endpoints: Obj) -> None:
        endpoints["subsets"] = subsets

    return change


def _internal_ip(node: Obj) -> str:
    for addr in node.get("status", {}).get("addresses", []):
        if addr.get("type") == "InternalIP":
            return str(addr["address"])
    return ""


def _pod_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions", [])
    )


def _set_condition(status: Obj, cond: Obj) -> None:
    """Replace the condition of that type; lastTransitionTime kept when status is unchanged."""
    conds = status.setdefault("conditions", [])
    for i, c in enumerate(conds):
        if c.get("type") == cond["type"]:
            if c.get("status") == cond["status"]:
                cond["lastTransitionTime"] = c.get("lastTransitionTime", cond["lastTransitionTime"])
            conds[i] = cond
            return
    conds.append(cond)


def _sync_ready(pod: Obj, at: float) -> None:
    st = pod["status"]
    ready = st.get("phase") == "Running" and all(
        cs.get("ready") for cs in st.get("containerStatuses", [])
    )
    reason = (
        ""
        if ready
        else (
            "PodCompleted" if st.get("phase") in ("Succeeded", "Failed") else "ContainersNotReady"
        )
    )
    for ctype in ("Ready", "ContainersReady"):
        _set_condition(st, objects.condition(ctype, ready, at, reason))


_UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}


def _quantity_bytes(text: str) -> float:
    for suffix, mult in _UNITS.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * mult
    return float(text)
