"""StatefulSet families (``--resources=statefulsets``): identity ``namespace, statefulset``."""

from __future__ import annotations

from .base import (
    Family,
    Obj,
    Options,
    Sample,
    created,
    deletion_timestamp,
    md,
    meta_families,
    one,
    spec,
    status,
)
from .workloads import generation, spec_field, status_field

RESOURCE = "statefulsets"
GO_TYPE = "*v1.StatefulSet"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("statefulset", m.get("name", ""))]


def _ordinals_start(o: Obj) -> list[Sample]:
    start = (spec(o).get("ordinals") or {}).get("start", 0)
    return one(value=float(start))


def _retention(o: Obj) -> list[Sample]:
    policy = spec(o).get("persistentVolumeClaimRetentionPolicy")
    if not isinstance(policy, dict):
        return []
    return one(
        [
            ("when_deleted", policy.get("whenDeleted", "")),
            ("when_scaled", policy.get("whenScaled", "")),
        ]
    )


def _revision(field: str) -> Family:
    def gen(o: Obj) -> list[Sample]:
        rev = status(o).get(field, "")
        return one([("revision", rev)])

    name = "current" if field == "currentRevision" else "update"
    help_text = (
        "Indicates the version of the StatefulSet used to generate Pods in the "
        "sequence [0,currentReplicas)."
        if name == "current"
        else "Indicates the version of the StatefulSet used to generate Pods in the "
        "sequence [replicas-updatedReplicas,replicas)"
    )
    return Family(f"kube_statefulset_status_{name}_revision", help_text, gen)


def families(opts: Options) -> list[Family]:
    p = "kube_statefulset_"
    return [
        *meta_families(RESOURCE, "statefulset", opts),
        created("statefulset"),
        status_field(f"{p}status_replicas", "The number of replicas per StatefulSet.", "replicas"),
        status_field(
            f"{p}status_replicas_available",
            "The number of available replicas per StatefulSet.",
            "availableReplicas",
        ),
        status_field(
            f"{p}status_replicas_current",
            "The number of current replicas per StatefulSet.",
            "currentReplicas",
        ),
        status_field(
            f"{p}status_replicas_ready",
            "The number of ready replicas per StatefulSet.",
            "readyReplicas",
        ),
        status_field(
            f"{p}status_replicas_updated",
            "The number of updated replicas per StatefulSet.",
            "updatedReplicas",
        ),
        status_field(
            f"{p}status_observed_generation",
            "The generation observed by the StatefulSet controller.",
            "observedGeneration",
        ),
        spec_field(f"{p}replicas", "Number of desired pods for a StatefulSet.", "replicas", 1),
        Family(f"{p}ordinals_start", "Start ordinal of the StatefulSet.", _ordinals_start),
        generation("statefulset"),
        Family(
            f"{p}persistentvolumeclaim_retention_policy",
            "Count of retention policy for StatefulSet template PVCs",
            _retention,
        ),
        _revision("currentRevision"),
        _revision("updateRevision"),
        deletion_timestamp("statefulset"),
    ]
