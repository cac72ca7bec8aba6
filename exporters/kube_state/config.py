"""The exporter's configuration, parsed from KSM's flag syntax."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError
from .families import RESOURCES
from .filters import MetricFilter, parse_key_allowlist
from .sharding import Sharding

#: KSM resources this exporter does not implement (named in the error message)
KSM_ONLY = (
    "certificatesigningrequests",
    "configmaps",
    "endpointslices",
    "endpoints",
    "ingresses",
    "leases",
    "limitranges",
    "mutatingwebhookconfigurations",
    "networkpolicies",
    "replicationcontrollers",
    "secrets",
    "storageclasses",
    "validatingwebhookconfigurations",
    "volumeattachments",
    "ingressclasses",
    "clusterroles",
    "roles",
    "clusterrolebindings",
    "rolebindings",
    "serviceaccounts",
)
DEFAULT_RESOURCES = tuple(sorted(RESOURCES))


def split_csv(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def parse_resources(text: str) -> tuple[str, ...]:
    names = split_csv(text)
    if not names:
        return DEFAULT_RESOURCES
    for name in names:
        if name not in RESOURCES:
            extra = (
                " (a kube-state-metrics resource promlab does not implement)"
                if (name in KSM_ONLY)
                else ""
            )
            raise ConfigError(
                f"--resources: resource {name!r} does not exist{extra}; supported: "
                f"{', '.join(DEFAULT_RESOURCES)}"
            )
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Config:
    resources: tuple[str, ...] = DEFAULT_RESOURCES
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    namespaces_denylist: tuple[str, ...] = ()
    metric_filter: MetricFilter = field(default_factory=MetricFilter)
    labels_allowlist: dict[str, tuple[str, ...]] = field(default_factory=dict)
    annotations_allowlist: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sharding: Sharding = field(default_factory=Sharding)
    page_size: int = 500

    @classmethod
    def from_flags(
        cls,
        *,
        resources: str = "",
        namespaces: str = "",
        namespaces_denylist: str = "",
        metric_allowlist: str = "",
        metric_denylist: str = "",
        metric_opt_in_list: str = "",
        metric_labels_allowlist: str = "",
        metric_annotations_allowlist: str = "",
        shard: int = 0,
        total_shards: int = 1,
    ) -> Config:
        ns = split_csv(namespaces)
        deny = split_csv(namespaces_denylist)
        if ns and deny:
            raise ConfigError("--namespaces and --namespaces-denylist are mutually exclusive")
        return cls(
            resources=parse_resources(resources),
            namespaces=ns,
            namespaces_denylist=deny,
            metric_filter=MetricFilter.from_flags(
                metric_allowlist, metric_denylist, metric_opt_in_list
            ),
            labels_allowlist=parse_key_allowlist(
                metric_labels_allowlist, "--metric-labels-allowlist"
            ),
            annotations_allowlist=parse_key_allowlist(
                metric_annotations_allowlist, "--metric-annotations-allowlist"
            ),
            sharding=Sharding(shard, total_shards),
        )
