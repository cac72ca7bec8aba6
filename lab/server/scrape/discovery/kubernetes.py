"""kubernetes_sd_configs: Kubernetes objects -> target groups, as upstream.

The mapping is pure: ``pod_group(pod)``, ``service_group(service)``,
``node_group(node)`` and ``endpoints_group(endpoints, pods, services)`` take
objects as the API returns them (dicts, camelCase keys) and return the
``TargetGroup`` Prometheus would build, with its ``__meta_kubernetes_*``
labels (label/annotation names sanitised to ``[a-zA-Z0-9_]``, plus the
``*present_*`` variants). A deleted object is an empty group with the same
source.

``KubernetesDiscoverer`` turns a stream of watch events from a
``KubernetesSource`` (see ``Event``) into updates, joining pods and services
for the endpoints role. ``kubernetes_api.py`` is the source that lists and
watches an API server (a real one, or ``promlab cluster simulate``).
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
    """One target per port x address (ready ones, then not-ready ones); a
    ``targetRef`` to a known pod adds the pod's labels (and its container's, for
    the matching port); the service of the same name adds the service's labels.
    As upstream, every container port of such a pod that no endpoint port
    covers becomes an extra target at the pod IP (pod labels, no endpoint_*)."""
    meta = endpoints.get("metadata", {})
    ns = meta.get("namespace", "")
    pods = pods or {}
    labels = {META + "namespace": ns, META + "endpoints_name": meta.get("name", "")}
    labels.update(_meta_labels("endpoints", meta))
    svc = (services or {}).get((ns, meta.get("name", "")))
    if svc is not None:
        labels.update(_service_labels(svc))
    targets: list[dict[str, str]] = []
    seen: dict[tuple[str, str], tuple[Obj, set[int]]] = {}
    for subset in endpoints.get("subsets") or ():
        for port in subset.get("ports") or ():
            for ready, key in (("true", "addresses"), ("false", "notReadyAddresses")):
                for addr in subset.get(key) or ():
                    t, pod = _endpoint_target(addr, port, ready, ns, pods)
                    targets.append(t)
                    if pod is not None:
                        pm = pod.get("metadata", {})
                        entry = seen.setdefault(
                            (pm.get("namespace", ""), pm.get("name", "")), (pod, set())
                        )
                        entry[1].add(int(port["port"]))
    for pod, covered in seen.values():
        targets.extend(_uncovered_port_targets(pod, covered))
    return TargetGroup(_source("endpoints", meta), tuple(targets), labels)


def _endpoint_target(
    addr: Obj, port: Obj, ready: str, ns: str, pods: Mapping[tuple[str, str], Obj]
) -> tuple[dict[str, str], Obj | None]:
    t = {
        ADDRESS: _join_port(addr.get("ip", ""), port["port"]),
        META + "endpoint_port_name": port.get("name", ""),
        META + "endpoint_port_protocol": port.get("protocol", "TCP"),
        META + "endpoint_ready": ready,
    }
    if port.get("appProtocol"):
        t[META + "endpoint_port_app_protocol"] = port["appProtocol"]
    if addr.get("hostname"):
        t[META + "endpoint_hostname"] = addr["hostname"]
    if addr.get("nodeName"):
        t[META + "endpoint_node_name"] = addr["nodeName"]
    ref = addr.get("targetRef") or {}
    if ref:
        t[META + "endpoint_address_target_kind"] = ref.get("kind", "")
        t[META + "endpoint_address_target_name"] = ref.get("name", "")
    if ref.get("kind") != "Pod":
        return t, None
    pod = pods.get((ref.get("namespace", ns), ref.get("name", "")))
    if pod is None:
        return t, None
    t.update(_pod_labels(pod))
    for c in pod.get("spec", {}).get("containers") or ():
        p = next((p for p in c.get("ports") or () if p.get("containerPort") == port["port"]), None)
        if p is not None:
            t[META + "pod_container_name"] = c.get("name", "")
            t[META + "pod_container_image"] = c.get("image", "")
            t[META + "pod_container_port_name"] = p.get("name", "")
            t[META + "pod_container_port_number"] = str(p["containerPort"])
            # Upstream takes the protocol from the endpoint port here.
            t[META + "pod_container_port_protocol"] = port.get("protocol", "TCP")
    return t, pod


def _uncovered_port_targets(pod: Obj, covered: set[int]) -> list[dict[str, str]]:
    ip = pod.get("status", {}).get("podIP", "")
    out = []
    for c in pod.get("spec", {}).get("containers") or ():
        for p in c.get("ports") or ():
            if int(p["containerPort"]) in covered:
                continue
            out.append(
                {
                    ADDRESS: _join_port(ip, p["containerPort"]),
                    META + "pod_container_name": c.get("name", ""),
                    META + "pod_container_image": c.get("image", ""),
                    META + "pod_container_port_name": p.get("name", ""),
                    META + "pod_container_port_number": str(p["containerPort"]),
                    META + "pod_container_port_protocol": p.get("protocol", "TCP"),
                    **_pod_labels(pod),
                }
            )
    return out


def endpoint_pod_refs(endpoints: Obj) -> set[tuple[str, str]]:
    """The (namespace, name) of every pod an Endpoints object's addresses name."""
    ns = endpoints.get("metadata", {}).get("namespace", "")
    return {
        (ref.get("namespace", ns), ref.get("name", ""))
        for subset in endpoints.get("subsets") or ()
        for key in ("addresses", "notReadyAddresses")
        for addr in subset.get(key) or ()
        if (ref := addr.get("targetRef") or {}).get("kind") == "Pod"
    }


# -- the discoverer --------------------------------------------------------------


#: A watch event: ``(type, object)`` for the role's own resource, or
#: ``(type, object, resource)`` naming the resource ("pods", "services", ...).
#: Types: ADDED, MODIFIED, DELETED, and SYNC for a (re)list, whose object is
#: ``{"namespace": ns or None, "items": [...]}``: it replaces every cached
#: object of that resource (in that namespace).
Event = tuple[str, Obj] | tuple[str, Obj, str]

SYNC = "SYNC"


class KubernetesSource(Protocol):
    """Watch events for one role's objects (and the objects it joins)."""

    def events(self) -> AsyncIterator[Event]: ...


#: the resource each role maps, and the other resources it joins
ROLE_RESOURCES: dict[str, tuple[str, ...]] = {
    "pod": ("pods",),
    "service": ("services",),
    "node": ("nodes",),
    "endpoints": ("endpoints", "pods", "services"),
}

Key = tuple[str, str]


def _key(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace", ""), meta.get("name", ""))


class KubernetesDiscoverer:
    """Turns a source's events into target-group updates. Roles pod, service
    and node map their objects one by one; endpoints joins the pods and
    services caches, so a pod or service change re-sends the endpoints that
    name it. A SYNC (the initial list, a relist after 410 Gone) is one update."""

    def __init__(self, role: str, source: KubernetesSource) -> None:
        if role not in ROLE_RESOURCES:
            raise ValueError(f"role {role!r} is not supported by this discoverer")
        self.role = role
        self.source = source
        self.primary = ROLE_RESOURCES[role][0]
        self.caches: dict[str, dict[Key, Obj]] = {r: {} for r in ROLE_RESOURCES[role]}
        # endpoints that name a pod, to re-send them when the pod changes
        self._by_pod: dict[Key, set[Key]] = {}
        self._pods_of: dict[Key, set[Key]] = {}

    async def run(self) -> AsyncIterator[Sequence[TargetGroup]]:
        async for event in self.source.events():
            kind, obj = event[0], event[1]
            resource = event[2] if len(event) > 2 else self.primary
            cache = self.caches.get(resource)
            if cache is None:
                continue
            changed = self._apply(cache, kind, obj)
            update = self._groups(resource, changed)
            if update:
                yield update

    def _apply(self, cache: dict[Key, Obj], kind: str, obj: Obj) -> dict[Key, Obj | None]:
        """Update the cache; returns the changed keys (None: deleted)."""
        if kind == SYNC:
            ns = obj.get("namespace")
            fresh = {_key(o): o for o in obj.get("items") or ()}
            gone = [k for k in cache if (ns is None or k[0] == ns) and k not in fresh]
            changed: dict[Key, Obj | None] = {k: None for k in gone}
            for k in gone:
                del cache[k]
            cache.update(fresh)
            changed.update(fresh)
            return changed
        k = _key(obj)
        if kind == "DELETED":
            cache.pop(k, None)
            return {k: None}
        cache[k] = obj
        return {k: obj}

    def _groups(self, resource: str, changed: Mapping[Key, Obj | None]) -> list[TargetGroup]:
        if resource == self.primary:
            return [self._group(k, o) for k, o in changed.items()]
        # a joined resource changed: re-send the primary objects that use it
        affected: set[Key] = set()
        for k in changed:
            if resource == "services":
                affected.add(k)  # Endpoints share their Service's name
            elif resource == "pods":
                affected |= self._by_pod.get(k, set())
        primary = self.caches[self.primary]
        return [self._group(k, primary[k]) for k in sorted(affected) if k in primary]

    def _group(self, k: Key, obj: Obj | None) -> TargetGroup:
        if self.role == "endpoints":
            return self._endpoints(k, obj)
        if obj is None:
            kind = {"service": "svc"}.get(self.role, self.role)
            return TargetGroup(f"node/{k[1]}" if self.role == "node" else f"{kind}/{k[0]}/{k[1]}")
        return _MAPPERS[self.role](obj)

    def _endpoints(self, k: Key, obj: Obj | None) -> TargetGroup:
        for ref in self._pods_of.pop(k, set()):
            self._by_pod.get(ref, set()).discard(k)
        if obj is None:
            return TargetGroup(f"endpoints/{k[0]}/{k[1]}")
        self._pods_of[k] = endpoint_pod_refs(obj)
        for ref in self._pods_of[k]:
            self._by_pod.setdefault(ref, set()).add(k)
        return endpoints_group(obj, self.caches["pods"], self.caches["services"])


_MAPPERS = {"pod": pod_group, "service": service_group, "node": node_group}
