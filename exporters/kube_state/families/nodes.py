"""Node families (``--resources=nodes``): identity ``node``."""

from __future__ import annotations

from .base import (
    Family,
    Obj,
    Options,
    Sample,
    condition_values,
    conditions,
    created,
    deletion_timestamp,
    md,
    meta_families,
    one,
    spec,
    status,
)
from .resources import resource_samples

RESOURCE = "nodes"
GO_TYPE = "*v1.Node"
_ROLE_PREFIX = "node-role.kubernetes.io/"


def identity(obj: Obj) -> list[tuple[str, str]]:
    return [("node", md(obj).get("name", ""))]


def _info(o: Obj) -> list[Sample]:
    info = status(o).get("nodeInfo") or {}
    internal = ""
    for addr in status(o).get("addresses") or []:
        if addr.get("type") == "InternalIP":
            internal = addr.get("address", "")
            break
    return one(
        [
            ("kernel_version", info.get("kernelVersion", "")),
            ("os_image", info.get("osImage", "")),
            ("container_runtime_version", info.get("containerRuntimeVersion", "")),
            ("kubelet_version", info.get("kubeletVersion", "")),
            ("kubeproxy_version", info.get("kubeProxyVersion", "")),
            ("pod_cidr", spec(o).get("podCIDR", "")),
            ("provider_id", spec(o).get("providerID", "")),
            ("system_uuid", info.get("systemUUID", "")),
            ("internal_ip", internal),
        ]
    )


def _roles(o: Obj) -> list[Sample]:
    roles = set()
    for key, value in (md(o).get("labels") or {}).items():
        if key.startswith(_ROLE_PREFIX) and key != _ROLE_PREFIX:
            roles.add(key[len(_ROLE_PREFIX) :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return [([("role", r)], 1.0) for r in sorted(roles)]


def _pod_cidrs(o: Obj) -> list[Sample]:
    return [([("pod_cidr", c)], 1.0) for c in spec(o).get("podCIDRs") or []]


def _unschedulable(o: Obj) -> list[Sample]:
    return one(value=1.0 if spec(o).get("unschedulable") else 0.0)


def _taints(o: Obj) -> list[Sample]:
    return [
        (
            [
                ("key", t.get("key", "")),
                ("value", t.get("value", "")),
                ("effect", t.get("effect", "")),
            ],
            1.0,
        )
        for t in spec(o).get("taints") or []
    ]


def _resources(field: str) -> Family:
    def gen(o: Obj) -> list[Sample]:
        return [
            ([("resource", r), ("unit", u)], v)
            for r, u, v in resource_samples(status(o).get(field))
        ]

    return Family(
        f"kube_node_status_{field}",
        "The total amount of resources available for a node."
        if field == "capacity"
        else "The amount of resources allocatable for pods (after reserving some for system "
        "daemons).",
        gen,
    )


def _addresses(o: Obj) -> list[Sample]:
    return [
        ([("type", a.get("type", "")), ("address", a.get("address", ""))], 1.0)
        for a in status(o).get("addresses") or []
    ]


def _conditions(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for c in conditions(o):
        for labels, value in condition_values(str(c.get("status", ""))):
            out.append(([("condition", str(c.get("type", ""))), *labels], value))
    return out


def families(opts: Options) -> list[Family]:
    return [
        *meta_families(RESOURCE, "node", opts),
        Family("kube_node_info", "Information about a cluster node.", _info),
        Family("kube_node_role", "The role of a cluster node.", _roles),
        Family("kube_node_spec_pod_cidrs", "The pod CIDRs of a cluster node.", _pod_cidrs),
        Family(
            "kube_node_spec_unschedulable", "Whether a node can schedule new pods.", _unschedulable
        ),
        Family("kube_node_spec_taint", "The taint of a cluster node.", _taints),
        _resources("capacity"),
        Family("kube_node_status_addresses", "The addresses of a node.", _addresses),
        _resources("allocatable"),
        Family("kube_node_status_condition", "The condition of a cluster node.", _conditions),
        created("node"),
        deletion_timestamp("node"),
    ]
