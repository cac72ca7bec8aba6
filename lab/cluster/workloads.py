"""Builders of workload objects (apps/v1, batch/v1, autoscaling/v2, policy/v1)
in the shapes the API server returns; see ``objects.py`` for the core kinds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .objects import EPOCH, Obj, condition, meta, template_hash
from .store import rfc3339


def pod_template(
    labels: Mapping[str, str],
    containers: Sequence[Obj],
    annotations: Mapping[str, str] | None = None,
) -> Obj:
    metadata: Obj = {"labels": dict(labels)}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "metadata": metadata,
        "spec": {"containers": [dict(c) for c in containers], "restartPolicy": "Always"},
    }


def deployment(
    namespace: str,
    name: str,
    replicas: int,
    containers: Sequence[Obj],
    *,
    created: float = EPOCH,
    labels: Mapping[str, str] | None = None,
    pod_annotations: Mapping[str, str] | None = None,
) -> Obj:
    """``pod_annotations`` go on the pod template (e.g. ``prometheus.io/scrape``)."""
    sel = {"app.kubernetes.io/name": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(
            name,
            namespace,
            labels={**sel, **(labels or {})},
            created=created,
            annotations={"deployment.kubernetes.io/revision": "1"},
        ),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": sel},
            "template": pod_template(sel, containers, pod_annotations),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": workload_status("Deployment", replicas, created),
    }


def workload_status(kind: str, replicas: int, at: float, *, ready: int | None = None) -> Obj:
    """A converged status for a Deployment/ReplicaSet/StatefulSet with ``replicas`` pods."""
    r = replicas if ready is None else ready
    if kind == "Deployment":
        return {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": r,
            "availableReplicas": r,
            "unavailableReplicas": replicas - r,
            "conditions": [
                condition(
                    "Available",
                    r >= replicas,
                    at,
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                ),
                condition(
                    "Progressing",
                    True,
                    at,
                    "NewReplicaSetAvailable",
                    "ReplicaSet has successfully progressed.",
                ),
            ],
        }
    if kind == "ReplicaSet":
        return {
            "observedGeneration": 1,
            "replicas": replicas,
            "fullyLabeledReplicas": replicas,
            "readyReplicas": r,
            "availableReplicas": r,
        }
    return {
        "observedGeneration": 1,
        "replicas": replicas,
        "currentReplicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": r,
        "availableReplicas": r,
    }


def replicaset(dep: Obj, *, created: float = EPOCH) -> Obj:
    name = dep["metadata"]["name"]
    h = template_hash(dep["metadata"]["uid"])
    labels = {**dep["spec"]["selector"]["matchLabels"], "pod-template-hash": h}
    replicas = dep["spec"]["replicas"]
    dep_template = dep["spec"]["template"]
    template = pod_template(
        labels, dep_template["spec"]["containers"], dep_template["metadata"].get("annotations")
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta(
            f"{name}-{h}",
            dep["metadata"]["namespace"],
            labels=labels,
            owner=dep,
            created=created,
            annotations={"deployment.kubernetes.io/revision": "1"},
        ),
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
        "status": workload_status("ReplicaSet", replicas, created),
    }


def daemonset(
    namespace: str, name: str, containers: Sequence[Obj], nodes: int, *, created: float = EPOCH
) -> Obj:
    sel = {"app.kubernetes.io/name": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": meta(name, namespace, labels=sel, created=created),
        "spec": {
            "selector": {"matchLabels": sel},
            "template": pod_template(sel, containers),
            "updateStrategy": {"type": "RollingUpdate"},
        },
        "status": {
            "currentNumberScheduled": nodes,
            "desiredNumberScheduled": nodes,
            "numberAvailable": nodes,
            "numberMisscheduled": 0,
            "numberReady": nodes,
            "updatedNumberScheduled": nodes,
            "observedGeneration": 1,
        },
    }


def statefulset(
    namespace: str, name: str, replicas: int, containers: Sequence[Obj], *, created: float = EPOCH
) -> Obj:
    sel = {"app.kubernetes.io/name": name}
    rev = f"{name}-{template_hash(name)}"
    status = workload_status("StatefulSet", replicas, created)
    status.update({"currentRevision": rev, "updateRevision": rev, "collisionCount": 0})
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(name, namespace, labels=sel, created=created),
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": sel},
            "template": pod_template(sel, containers),
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
        },
        "status": status,
    }


def cronjob(
    namespace: str, name: str, schedule: str, containers: Sequence[Obj], *, created: float = EPOCH
) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(name, namespace, created=created),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "suspend": False,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {"spec": {"template": pod_template({}, containers)}},
        },
        "status": {
            "lastScheduleTime": rfc3339(created + 3600),
            "lastSuccessfulTime": rfc3339(created + 3630),
        },
    }


def job(
    namespace: str,
    name: str,
    containers: Sequence[Obj],
    *,
    owner: Obj | None = None,
    created: float = EPOCH,
    active: int = 0,
    succeeded: int = 1,
    failed: int = 0,
) -> Obj:
    status: Obj = {
        "startTime": rfc3339(created),
        "active": active,
        "succeeded": succeeded,
        "failed": failed,
        "ready": active,
        "uncountedTerminatedPods": {},
    }
    if succeeded and not active:
        status["completionTime"] = rfc3339(created + 30)
        status["conditions"] = [
            condition("SuccessCriteriaMet", True, created + 30),
            condition("Complete", True, created + 30),
        ]
    for key in ("active", "succeeded", "failed"):
        if not status[key]:
            del status[key]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(name, namespace, owner=owner, created=created, labels={"job-name": name}),
        "spec": {
            "parallelism": 1,
            "completions": 1,
            "backoffLimit": 6,
            "template": pod_template({"job-name": name}, containers),
        },
        "status": status,
    }


def hpa(
    namespace: str,
    name: str,
    target: Obj,
    lo: int,
    hi: int,
    current: int,
    *,
    created: float = EPOCH,
) -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, namespace, created=created),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": target["apiVersion"],
                "kind": target["kind"],
                "name": target["metadata"]["name"],
            },
            "minReplicas": lo,
            "maxReplicas": hi,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 80},
                    },
                }
            ],
        },
        "status": {
            "currentReplicas": current,
            "desiredReplicas": current,
            "currentMetrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "current": {"averageUtilization": 42, "averageValue": "42m"},
                    },
                }
            ],
            "conditions": [
                condition("AbleToScale", True, created, "ReadyForNewScale"),
                condition("ScalingActive", True, created, "ValidMetricFound"),
                condition("ScalingLimited", False, created, "DesiredWithinRange"),
            ],
        },
    }


def pdb(
    namespace: str,
    name: str,
    selector: Mapping[str, str],
    min_available: int,
    expected: int,
    healthy: int,
    *,
    created: float = EPOCH,
) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, namespace, created=created),
        "spec": {"minAvailable": min_available, "selector": {"matchLabels": dict(selector)}},
        "status": {
            "observedGeneration": 1,
            "currentHealthy": healthy,
            "desiredHealthy": min_available,
            "expectedPods": expected,
            "disruptionsAllowed": max(healthy - min_available, 0),
            "conditions": [
                condition(
                    "DisruptionAllowed",
                    healthy > min_available,
                    created,
                    "SufficientPods",
                    "The disruption budget has enough healthy pods.",
                )
                | {"observedGeneration": 1}
            ],
        },
    }
