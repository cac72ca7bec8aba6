"""kubernetes_sd_configs: Kubernetes objects -> target groups, as upstream.

The mapping is pure: ``pod_group(pod)``, ``service_group(service)``,
``node_group(node)`` and ``endpoints_group(endpoints, pods, services)`` take
objects as the API returns them (dicts, camelCase keys) and return the
``TargetGroup`` Prometheus would build, with its ``__meta_kubernetes_*``
labels (label/annotation names sanitised to ``[a-zA-Z0-9_]``, plus the
``*present_*`` variants). A deleted object is an empty group with the same
source.

``KubernetesDiscoverer`` turns a stream of watch events from a
``KubernetesSource`` (``("ADDED"|"MODIFIED"|"DELETED", object)``) into updates.
The source that lists/watches a real API server (kubernetes client) or the
lab's simulated cluster plugs in there; it is not wired yet.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from .base import ADDRESS, TargetGroup

META = "__meta_kubernetes_"
_INVALID = re.compile(r"[^a-zA-Z0-9_]")

Obj = Mapping[str, Any]


def sanitize(name: str) -> str:
    return _INVALID.sub("_", name)


def _meta_labels(kind: str, meta: Obj) -> dict[str, str]:
    out: dict[str, str] = {}
    for what, key in (("label", "labels"), ("annotation", "annotations")):
        for name, value in (meta.get(key) or {}).items():
            s = sanitize(name)
            out[f"{META}{kind}_{what}_{s}"] = str(value)
            out[f"{META}{kind}_{what}present_{s}"] = "true"
    return out


def _join_port(host: str, port: int | str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _source(kind: str, meta: Obj) -> str:
    return f"{kind}/{meta.get('namespace', '')}/{meta.get('name', '')}"


# -- pod -------------------------------------------------------------------------


def _pod_labels(pod: Obj) -> dict[str, str]:
    meta, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {})
    out = {
        META + "namespace": meta.get("namespace", ""),
        META + "pod_name": meta.get("name", ""),
        META + "pod_ip": status.get("podIP", ""),
        META + "pod_ready": _pod_ready(status),
        META + "pod_phase": status.get("phase", ""),
        META + "pod_node_name": spec.get("nodeName", ""),
        META + "pod_host_ip": status.get("hostIP", ""),
        META + "pod_uid": meta.get("uid", ""),
    }
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            out[META + "pod_controller_kind"] = ref.get("kind", "")
            out[META + "pod_controller_name"] = ref.get("name", "")
    out.update(_meta_labels("pod", meta))
    return out


def _pod_ready(status: Obj) -> str:
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Ready":
            return str(cond.get("status", "unknown")).lower()
    return "unknown"


def pod_group(pod: Obj) -> TargetGroup:
    """One target per container port; a container without ports is one target
    at the pod IP alone (relabeling adds a port), as upstream."""
    source = _source("pod", pod.get("metadata", {}))
    status = pod.get("status", {})
    ip = status.get("podIP", "")
    if not ip:
        return TargetGroup(source)
    ids = {
        c.get("name"): c.get("containerID", "")
        for key in ("containerStatuses", "initContainerStatuses")
        for c in status.get(key) or ()
    }
    targets: list[dict[str, str]] = []
    spec = pod.get("spec", {})
    for init, key in ((False, "containers"), (True, "initContainers")):
        for c in spec.get(key) or ():
            base = {
                META + "pod_container_name": c.get("name", ""),
                META + "pod_container_id": ids.get(c.get("name"), ""),
                META + "pod_container_image": c.get("image", ""),
                META + "pod_container_init": "true" if init else "false",
            }
            ports = c.get("ports") or ()
            if not ports:
                targets.append({ADDRESS: ip, **base})
            for p in ports:
                targets.append(
                    {
                        ADDRESS: _join_port(ip, p["containerPort"]),
                        **base,
                        META + "pod_container_port_name": p.get("name", ""),
                        META + "pod_container_port_number": str(p["containerPort"]),
                        META + "pod_container_port_protocol": p.get("protocol", "TCP"),
                    }
                )
    return TargetGroup(source, tuple(targets), _pod_labels(pod))


# -- service ---------------------------------------------------------------------


def _service_labels(svc: Obj) -> dict[str, str]:
    meta = svc.get("metadata", {})
    out = {
        META + "namespace": meta.get("namespace", ""),
        META + "service_name": meta.get("name", ""),
    }
    out.update(_meta_labels("service", meta))
    return out


def service_group(svc: Obj) -> TargetGroup:
    """One target per service port at ``<name>.<namespace>.svc:<port>``."""
    meta, spec = svc.get("metadata", {}), svc.get("spec", {})
    host = f"{meta.get('name', '')}.{meta.get('namespace', '')}.svc"
    kind = spec.get("type", "ClusterIP")
    targets = []
    for p in spec.get("ports") or ():
        t = {
            ADDRESS: _join_port(host, p["port"]),
            META + "service_port_name": p.get("name", ""),
            META + "service_port_number": str(p["port"]),
            META + "service_port_protocol": p.get("protocol", "TCP"),
            META + "service_type": kind,
        }
        if kind == "ExternalName":
            t[META + "service_external_name"] = spec.get("externalName", "")
        else:
            t[META + "service_cluster_ip"] = spec.get("clusterIP", "")
        targets.append(t)
    return TargetGroup(_source("svc", meta), tuple(targets), _service_labels(svc))


# -- node ------------------------------------------------------------------------

_ADDRESS_ORDER = (
    "InternalIP",
    "InternalDNS",
    "ExternalIP",
    "ExternalDNS",
    "LegacyHostIP",
    "Hostname",
)


def node_group(node: Obj) -> TargetGroup:
    """The node at its preferred address and the kubelet port; ``instance`` is
    the node name."""
    meta, status = node.get("metadata", {}), node.get("status", {})
    name = meta.get("name", "")
    source = f"node/{name}"
    by_type: dict[str, str] = {}
    for a in status.get("addresses") or ():
        by_type.setdefault(a.get("type", ""), a.get("address", ""))
    address = next((by_type[t] for t in _ADDRESS_ORDER if t in by_type), "")
    if not address:
        return TargetGroup(source)
    port = (status.get("daemonEndpoints") or {}).get("kubeletEndpoint", {}).get("Port", 10250)
    target = {ADDRESS: _join_port(address, port), "instance": name}
    for t, a in by_type.items():
        target[META + "node_address_" + t] = a
    labels = {META + "node_name": name}
    if node.get("spec", {}).get("providerID"):
        labels[META + "node_provider_id"] = node["spec"]["providerID"]
    labels.update(_meta_labels("node", meta))
    return TargetGroup(source, (target,), labels)


# -- endpoints -------------------------------------------------------------------


def endpoints_group(
    endpoints: Obj,
    pods: Mapping[tuple[str, str], Obj] | None = None,
    services: Mapping[tuple[str, str], Obj] | None = None,
) -> TargetGroup:
    """One target per address x port; a ``targetRef`` to a known pod adds the pod's
    labels (and its container's, for the matching port); the service of the same
    name adds the service's labels. (Upstream also adds targets for pod ports
    that no endpoint lists; that part is not done.)"""
    meta = endpoints.get("metadata", {})
    ns = meta.get("namespace", "")
    pods = pods or {}
    labels = {META + "namespace": ns, META + "endpoints_name": meta.get("name", "")}
    labels.update(_meta_labels("endpoints", meta))
    svc = (services or {}).get((ns, meta.get("name", "")))
    if svc is not None:
        labels.update(_service_labels(svc))
    targets = []
    for subset in endpoints.get("subsets") or ():
        for ready, key in (("true", "addresses"), ("false", "notReadyAddresses")):
            for addr in subset.get(key) or ():
                for port in subset.get("ports") or ():
                    targets.append(_endpoint_target(addr, port, ready, ns, pods))
    return TargetGroup(_source("endpoints", meta), tuple(targets), labels)


def _endpoint_target(
    addr: Obj, port: Obj, ready: str, ns: str, pods: Mapping[tuple[str, str], Obj]
) -> dict[str, str]:
    t = {
        ADDRESS: _join_port(addr.get("ip", ""), port["port"]),
        META + "endpoint_port_name": port.get("name", ""),
        META + "endpoint_port_protocol": port.get("protocol", "TCP"),
        META + "endpoint_ready": ready,
    }
    if addr.get("hostname"):
        t[META + "endpoint_hostname"] = addr["hostname"]
    if addr.get("nodeName"):
        t[META + "endpoint_node_name"] = addr["nodeName"]
    ref = addr.get("targetRef") or {}
    if ref:
        t[META + "endpoint_address_target_kind"] = ref.get("kind", "")
        t[META + "endpoint_address_target_name"] = ref.get("name", "")
    if ref.get("kind") == "Pod":
        pod = pods.get((ref.get("namespace", ns), ref.get("name", "")))
        if pod is not None:
            t.update(_pod_labels(pod))
            for c in pod.get("spec", {}).get("containers") or ():
                for p in c.get("ports") or ():
                    if p.get("containerPort") == port["port"]:
                        t[META + "pod_container_name"] = c.get("name", "")
                        t[META + "pod_container_image"] = c.get("image", "")
                        t[META + "pod_container_port_name"] = p.get("name", "")
                        t[META + "pod_container_port_number"] = str(p["containerPort"])
                        t[META + "pod_container_port_protocol"] = p.get("protocol", "TCP")
    return t


# -- the discoverer --------------------------------------------------------------


class KubernetesSource(Protocol):
    """Watch events for one role's objects: ``(type, object)``; list first as ADDED."""

    def events(self) -> AsyncIterator[tuple[str, Obj]]: ...


_MAPPERS = {"pod": pod_group, "service": service_group, "node": node_group}


class KubernetesDiscoverer:
    """Roles pod, service and node from one source's events (endpoints needs the
    pod and service caches too: left for the source wiring)."""

    def __init__(self, role: str, source: KubernetesSource) -> None:
        if role not in _MAPPERS:
            raise ValueError(f"role {role!r} is not supported by this discoverer")
        self.role = role
        self.source = source

    async def run(self) -> AsyncIterator[Sequence[TargetGroup]]:
        mapper = _MAPPERS[self.role]
        async for kind, obj in self.source.events():
            group = mapper(obj)
            yield [TargetGroup(group.source) if kind == "DELETED" else group]
