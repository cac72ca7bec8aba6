"""kubernetes_sd_configs against an API server: the client configuration, the
list + watch source and the discoverer factory the composition root registers.

Which API server (as upstream): ``kubeconfig_file``; else ``api_server`` with
the config's own HTTP client settings (bearer token, basic auth, TLS files);
else the in-cluster ServiceAccount. Which namespaces: ``namespaces.names``,
``own_namespace`` (the pod's ServiceAccount namespace), or all. ``selectors``
give label/field selectors per resource (``role: pod|service|endpoints|node``).

Each (resource, namespace) has a ``lab.kube.reflector.Reflector``, the loop the
kube-state exporter uses too: paged LIST, WATCH from its resourceVersion, relist
at once on 410 Gone, exponential backoff with jitter on any other failure. The
reflectors run on threads (the client is synchronous) and hand their events to
the event loop through a queue; a list or relist is one SYNC event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from lab.clock import Clock
from lab.kube.reflector import Reflector, ResourceType
from lab.server.config import KubernetesSDConfig, ScrapeConfig

from .base import Discoverer
from .kubernetes import ROLE_RESOURCES, SYNC, Event, KubernetesDiscoverer, Obj

log = logging.getLogger(__name__)

NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

RESOURCES: dict[str, ResourceType] = {
    "pods": ResourceType(
        "pods", "*v1.Pod", "CoreV1Api", "list_pod_for_all_namespaces", "list_namespaced_pod"
    ),
    "services": ResourceType(
        "services",
        "*v1.Service",
        "CoreV1Api",
        "list_service_for_all_namespaces",
        "list_namespaced_service",
    ),
    "endpoints": ResourceType(
        "endpoints",
        "*v1.Endpoints",
        "CoreV1Api",
        "list_endpoints_for_all_namespaces",
        "list_namespaced_endpoints",
    ),
    "nodes": ResourceType("nodes", "*v1.Node", "CoreV1Api", "list_node", None),
}

#: the selectors' ``role`` names, by resource
_SELECTOR_ROLE = {"pods": "pod", "services": "service", "endpoints": "endpoints", "nodes": "node"}


class SDConfigError(ValueError):
    """The API client cannot be configured (no kubeconfig, not in a cluster ...)."""


def api_client(sd: KubernetesSDConfig) -> Any:
    """A ``kubernetes.client.ApiClient`` for one kubernetes_sd_configs entry."""
    import kubernetes.client  # deferred: importing the client is slow
    import kubernetes.config

    cfg = kubernetes.client.Configuration()
    try:
        if sd.kubeconfig_file:
            kubernetes.config.load_kube_config(
                config_file=sd.kubeconfig_file, client_configuration=cfg
            )
        elif sd.api_server:
            cfg.host = sd.api_server.rstrip("/")
            _http_settings(cfg, sd.raw)
        else:
            kubernetes.config.load_incluster_config(client_configuration=cfg)
    except (kubernetes.config.ConfigException, OSError) as exc:
        raise SDConfigError(f"cannot configure the Kubernetes client: {exc}") from exc
    # one connection per watch, plus room for lists
    cfg.connection_pool_maxsize = max(cfg.connection_pool_maxsize or 0, 16)
    return kubernetes.client.ApiClient(cfg)


def _http_settings(cfg: Any, raw: Mapping[str, Any]) -> None:
    """The subset of Prometheus' HTTP client config that maps onto the client's."""
    token = raw.get("bearer_token") or ""
    if raw.get("bearer_token_file"):
        with open(raw["bearer_token_file"], encoding="utf-8") as fh:
            token = fh.read().strip()
    auth = raw.get("authorization") or {}
    if auth.get("credentials") or auth.get("credentials_file"):
        token = auth.get("credentials") or ""
        if auth.get("credentials_file"):
            with open(auth["credentials_file"], encoding="utf-8") as fh:
                token = fh.read().strip()
    if token:
        cfg.api_key = {"authorization": f"{auth.get('type') or 'Bearer'} {token}"}
    basic = raw.get("basic_auth") or {}
    if basic.get("username"):
        cfg.username = basic["username"]
        cfg.password = basic.get("password") or ""
    tls = raw.get("tls_config") or {}
    cfg.ssl_ca_cert = tls.get("ca_file") or None
    cfg.cert_file = tls.get("cert_file") or None
    cfg.key_file = tls.get("key_file") or None
    cfg.verify_ssl = not tls.get("insecure_skip_verify", False)


def namespaces(sd: KubernetesSDConfig) -> list[str | None]:
    """The namespaces to watch (None: all)."""
    names: list[str | None] = list(sd.namespaces)
    if sd.own_namespace:
        try:
            with open(NAMESPACE_FILE, encoding="utf-8") as fh:
                names.append(fh.read().strip())
        except OSError as exc:
            raise SDConfigError(f"own_namespace: cannot read {NAMESPACE_FILE}: {exc}") from exc
    return names or [None]


def selectors(sd: KubernetesSDConfig, resource: str) -> tuple[str, str]:
    """(label selector, field selector) for one resource."""
    for sel in sd.raw.get("selectors") or ():
        if sel.get("role") == _SELECTOR_ROLE.get(resource):
            return str(sel.get("label") or ""), str(sel.get("field") or "")
    return "", ""


class _QueueSink:
    """A reflector's sink: events onto the event loop's queue (called on its thread)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        queue: asyncio.Queue[Event],
        resource: str,
        namespace: str | None,
    ) -> None:
        self.loop, self.queue, self.resource, self.namespace = loop, queue, resource, namespace

    def _put(self, kind: str, obj: Obj) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (kind, obj, self.resource))

    def add(self, obj: Obj) -> None:
        self._put("ADDED", obj)

    def update(self, obj: Obj) -> None:
        self._put("MODIFIED", obj)

    def delete(self, obj: Obj) -> None:
        self._put("DELETED", obj)

    def replace(self, objs: list[dict[str, Any]]) -> None:
        self._put(SYNC, {"namespace": self.namespace, "items": objs})


class ApiSource:
    """A ``KubernetesSource`` that lists and watches the role's resources."""

    def __init__(
        self,
        sd: KubernetesSDConfig,
        *,
        watch_timeout_min: int = 300,
        backoff_initial: float = 0.8,
        backoff_max: float = 30.0,
    ) -> None:
        self.sd = sd
        self.watch_timeout_min = watch_timeout_min
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.reflectors: list[Reflector] = []

    def _reflectors(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Event]) -> None:
        from lab.kube.reflector import ListWatch

        client = api_client(self.sd)
        spaces = namespaces(self.sd)
        for resource in ROLE_RESOURCES[self.sd.role]:
            rtype = RESOURCES[resource]
            label, field = selectors(self.sd, resource)
            for ns in spaces if rtype.list_namespaced else [None]:
                lw = ListWatch(client, rtype, ns, field_selector=field, label_selector=label)
                sink = _QueueSink(loop, queue, resource, ns)
                self.reflectors.append(
                    Reflector(
                        lw,
                        sink,
                        watch_timeout_min=self.watch_timeout_min,
                        backoff_initial=self.backoff_initial,
                        backoff_max=self.backoff_max,
                    )
                )

    async def events(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        try:
            self._reflectors(asyncio.get_running_loop(), queue)
        except SDConfigError as exc:
            log.error("kubernetes_sd_configs (role %s): %s", self.sd.role, exc)
            return
        for r in self.reflectors:
            r.start()
        try:
            while True:
                yield await queue.get()
        finally:
            reflectors, self.reflectors = self.reflectors, []
            # Stopping shuts the watch sockets down; joining is bounded and off the loop.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.to_thread(_stop_all, reflectors)


def _stop_all(reflectors: Sequence[Reflector]) -> None:
    for r in reflectors:
        r.stop(timeout=2.0)


def kubernetes_discoverers(cfg: ScrapeConfig, clock: Clock) -> list[Discoverer]:
    """The ``discoverer_factories["kubernetes_sd_configs"]`` of the scrape manager."""
    out: list[Discoverer] = []
    for sd in cfg.kubernetes_sd_configs:
        if sd.role not in ROLE_RESOURCES:
            log.error("job %s: kubernetes_sd role %r is not supported", cfg.job_name, sd.role)
            continue
        out.append(KubernetesDiscoverer(sd.role, ApiSource(sd)))
    return out
