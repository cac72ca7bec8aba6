"""DaemonSet families (``--resources=daemonsets``): identity ``namespace, daemonset``."""

from __future__ import annotations

from .base import Family, Obj, Options, created, deletion_timestamp, md, meta_families
from .workloads import generation, status_field

RESOURCE = "daemonsets"
GO_TYPE = "*v1.DaemonSet"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("daemonset", m.get("name", ""))]


def families(opts: Options) -> list[Family]:
    p = "kube_daemonset_status_"
    return [
        *meta_families(RESOURCE, "daemonset", opts),
        created("daemonset"),
        status_field(
            f"{p}current_number_scheduled",
            "The number of nodes running at least one daemon pod and are supposed to.",
            "currentNumberScheduled",
        ),
        status_field(
            f"{p}desired_number_scheduled",
            "The number of nodes that should be running the daemon pod.",
            "desiredNumberScheduled",
        ),
        status_field(
            f"{p}number_available",
            "The number of nodes that should be running the daemon pod and have one or "
            "more of the daemon pod running and available",
            "numberAvailable",
        ),
        status_field(
            f"{p}number_misscheduled",
            "The number of nodes running a daemon pod but are not supposed to.",
            "numberMisscheduled",
        ),
        status_field(
            f"{p}number_ready",
            "The number of nodes that should be running the daemon pod and have one or "
            "more of the daemon pod running and ready.",
            "numberReady",
        ),
        status_field(
            f"{p}number_unavailable",
            "The number of nodes that should be running the daemon pod and have none of "
            "the daemon pod running and available",
            "numberUnavailable",
        ),
        status_field(
            f"{p}observed_generation",
            "The most recent generation observed by the daemon set controller.",
            "observedGeneration",
        ),
        status_field(
            f"{p}updated_number_scheduled",
            "The total number of nodes that are running updated daemon pod",
            "updatedNumberScheduled",
        ),
        generation("daemonset"),
        deletion_timestamp("daemonset"),
    ]
