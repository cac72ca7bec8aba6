"""ReplicaSet families (``--resources=replicasets``): identity ``namespace, replicaset``."""

from __future__ import annotations

from .base import Family, Obj, Options, created, md, meta_families, owner_samples
from .workloads import generation, spec_field, status_field

RESOURCE = "replicasets"
GO_TYPE = "*v1.ReplicaSet"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("replicaset", m.get("name", ""))]


def families(opts: Options) -> list[Family]:
    p = "kube_replicaset_"
    return [
        *meta_families(RESOURCE, "replicaset", opts),
        created("replicaset"),
        status_field(f"{p}status_replicas", "The number of replicas per ReplicaSet.", "replicas"),
        status_field(
            f"{p}status_fully_labeled_replicas",
            "The number of fully labeled replicas per ReplicaSet.",
            "fullyLabeledReplicas",
        ),
        status_field(
            f"{p}status_ready_replicas",
            "The number of ready replicas per ReplicaSet.",
            "readyReplicas",
        ),
        status_field(
            f"{p}status_terminating_replicas",
            "The number of terminating replicas per ReplicaSet.",
            "terminatingReplicas",
            zero=False,
        ),
        status_field(
            f"{p}status_observed_generation",
            "The generation observed by the ReplicaSet controller.",
            "observedGeneration",
        ),
        spec_field(f"{p}spec_replicas", "Number of desired pods for a ReplicaSet.", "replicas", 1),
        generation("replicaset"),
        Family(f"{p}owner", "Information about the ReplicaSet's owner.", owner_samples),
    ]
