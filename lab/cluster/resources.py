"""The resource types the simulated API server serves, with what discovery
says about them (kind, plural, scope, short names, verbs)."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    #: subresources served as ``<plural>/<name>``: only "status" (a plain update)
    subresources: tuple[str, ...] = ("status",)
    #: whether spec changes bump ``metadata.generation`` (workload controllers)
    generation: bool = False
    categories: tuple[str, ...] = field(default=("all",))

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


def _rt(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    generation: bool = False,
    categories: tuple[str, ...] = ("all",),
) -> ResourceType:
    return ResourceType(
        group,
        version,
        kind,
        plural,
        namespaced,
        short,
        generation=generation,
        categories=categories,
    )


RESOURCE_TYPES: tuple[ResourceType, ...] = (
    _rt("", "v1", "Namespace", "namespaces", False, ("ns",), categories=()),
    _rt("", "v1", "Node", "nodes", False, ("no",), categories=()),
    _rt("", "v1", "Pod", "pods", True, ("po",)),
    _rt("", "v1", "Service", "services", True, ("svc",)),
    _rt("", "v1", "Endpoints", "endpoints", True, ("ep",), categories=()),
    _rt("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), categories=()),
    _rt("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",), categories=()),
    _rt("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), categories=()),
    _rt("apps", "v1", "Deployment", "deployments", True, ("deploy",), True),
    _rt("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), True),
    _rt("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), True),
    _rt("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), True),
    _rt("batch", "v1", "Job", "jobs", True, (), True),
    _rt("batch", "v1", "CronJob", "cronjobs", True, ("cj",), True),
    _rt(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        True,
        ("hpa",),
        True,
    ),
    _rt(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        True,
        ("pdb",),
        True,
        categories=(),
    ),
    _rt("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True, (), categories=()),
)

BY_PLURAL: dict[str, ResourceType] = {rt.plural: rt for rt in RESOURCE_TYPES}


def group_versions() -> dict[str, list[ResourceType]]:
    """Resource types by ``group/version`` (``v1`` for the core group), in table order."""
    out: dict[str, list[ResourceType]] = {}
    for rt in RESOURCE_TYPES:
        out.setdefault(rt.api_version, []).append(rt)
    return out


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    rt = BY_PLURAL.get(plural)
    if rt is None or rt.group != group or rt.version != version:
        return None
    return rt
