"""The metric families of every supported resource, one module per kind, and
how each kind is listed with the kubernetes client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from . import (
    cronjobs,
    daemonsets,
    deployments,
    horizontalpodautoscalers,
    jobs,
    namespaces,
    nodes,
    persistentvolumeclaims,
    persistentvolumes,
    poddisruptionbudgets,
    pods,
    replicasets,
    resourcequotas,
    services,
    statefulsets,
)
from .base import Family, Obj, Options


@dataclass(frozen=True, slots=True)
class ResourceDef:
    resource: str  # the --resources name (plural)
    go_type: str  # the label value KSM's self metrics use, e.g. "*v1.Pod"
    identity: Callable[[Obj], list[tuple[str, str]]]
    families: Callable[[Options], list[Family]]
    api_class: str  # kubernetes.client class
    list_all: str  # cluster-scoped list, or list across all namespaces
    list_namespaced: str | None  # list in one namespace (None: cluster-scoped)

    @property
    def namespaced(self) -> bool:
        return self.list_namespaced is not None


def _def(module: ModuleType, api_class: str, snake: str, *, cluster: bool = False) -> ResourceDef:
    return ResourceDef(
        resource=module.RESOURCE,
        go_type=module.GO_TYPE,
        identity=module.identity,
        families=module.families,
        api_class=api_class,
        list_all=f"list_{snake}" if cluster else f"list_{snake}_for_all_namespaces",
        list_namespaced=None if cluster else f"list_namespaced_{snake}",
    )


RESOURCES: dict[str, ResourceDef] = {
    d.resource: d
    for d in (
        _def(cronjobs, "BatchV1Api", "cron_job"),
        _def(daemonsets, "AppsV1Api", "daemon_set"),
        _def(deployments, "AppsV1Api", "deployment"),
        _def(horizontalpodautoscalers, "AutoscalingV2Api", "horizontal_pod_autoscaler"),
        _def(jobs, "BatchV1Api", "job"),
        _def(namespaces, "CoreV1Api", "namespace", cluster=True),
        _def(nodes, "CoreV1Api", "node", cluster=True),
        _def(persistentvolumeclaims, "CoreV1Api", "persistent_volume_claim"),
        _def(persistentvolumes, "CoreV1Api", "persistent_volume", cluster=True),
        _def(poddisruptionbudgets, "PolicyV1Api", "pod_disruption_budget"),
        _def(pods, "CoreV1Api", "pod"),
        _def(replicasets, "AppsV1Api", "replica_set"),
        _def(resourcequotas, "CoreV1Api", "resource_quota"),
        _def(services, "CoreV1Api", "service"),
        _def(statefulsets, "AppsV1Api", "stateful_set"),
    )
}

__all__ = ["RESOURCES", "Family", "Options", "ResourceDef"]
