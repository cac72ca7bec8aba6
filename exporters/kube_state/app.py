"""The exporter's composition root: one reflector per resource (per namespace
when ``--namespaces`` is set) feeding pre-rendered stores; ``render`` writes
them for a scrape."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .config import Config
from .errors import SourceError
from .families import RESOURCES, ResourceDef
from .families.base import Options
from .filters import allowlist_for
from .sharding import Sharding
from .source import ListWatch, Reflector
from .store import MetricsStore, Renderer, ResourceWriter, Row, Scrape
from .telemetry import Telemetry

EOF_LINE = b"# EOF\n"


@dataclass
class _Resource:
    rdef: ResourceDef
    writer: ResourceWriter
    reflectors: list[Reflector]


class KubeStateExporter:
    """Lists and watches the configured resources; renders their metrics."""

    def __init__(
        self,
        config: Config,
        api_client: Any,
        *,
        telemetry: Telemetry | None = None,
        watch_timeout_min: int = 300,
        backoff_initial: float = 0.8,
    ) -> None:
        self.config = config
        self.telemetry = telemetry or Telemetry(
            shard=config.sharding.shard, total_shards=config.sharding.total
        )
        self._resources: list[_Resource] = []
        keep = config.sharding.owns
        for name in config.resources:
            rdef = RESOURCES[name]
            opts = Options(
                labels=allowlist_for(config.labels_allowlist, name),
                annotations=allowlist_for(config.annotations_allowlist, name),
            )
            fams = [
                f for f in rdef.families(opts) if config.metric_filter.keep(f.name, opt_in=f.opt_in)
            ]
            if not fams:
                continue  # nothing to expose: do not even list and watch it
            renderer = Renderer(fams, rdef.identity)
            namespaces: list[str | None] = (
                list(config.namespaces) if config.namespaces and rdef.namespaced else [None]
            )
            selector = ""
            if config.namespaces_denylist and rdef.namespaced:
                selector = ",".join(f"metadata.namespace!={n}" for n in config.namespaces_denylist)
            stores, reflectors = [], []
            for ns in namespaces:
                store = MetricsStore(renderer)
                lw = ListWatch(
                    api_client, rdef, ns, field_selector=selector, page_size=config.page_size
                )
                reflectors.append(
                    Reflector(
                        lw,
                        store,
                        keep=keep,
                        counters=self.telemetry,
                        watch_timeout_min=watch_timeout_min,
                        backoff_initial=backoff_initial,
                    )
                )
                stores.append(store)
            self._resources.append(_Resource(rdef, ResourceWriter(name, fams, stores), reflectors))

    @property
    def reflectors(self) -> list[Reflector]:
        return [r for res in self._resources for r in res.reflectors]

    def start(self) -> None:
        for r in self.reflectors:
            r.start()

    def stop(self) -> None:
        for r in self.reflectors:
            r.stop()

    def ready(self) -> bool:
        return all(r.synced.is_set() for r in self.reflectors)

    def wait_synced(self, timeout: float) -> bool:
        import time

        deadline = time.monotonic() + timeout
        return all(r.synced.wait(max(deadline - time.monotonic(), 0.0)) for r in self.reflectors)

    def scrape(
        self,
        *,
        resources: Iterable[str] = (),
        exclude: Iterable[str] = (),
        openmetrics: bool = False,
    ) -> Scrape:
        """A /metrics response to stream; ``?resources=`` / ``?exclude_resources=``
        filter (exclusion wins)."""
        only, skip = set(resources), set(exclude)
        parts: list[tuple[ResourceWriter, list[Row]]] = []
        for res in self._resources:
            name = res.rdef.resource
            if (only and name not in only) or name in skip:
                continue
            parts.append((res.writer, res.writer.rows()))
        return Scrape(parts, openmetrics=openmetrics, trailer=EOF_LINE if openmetrics else b"")

    def render(
        self,
        *,
        resources: Iterable[str] = (),
        exclude: Iterable[str] = (),
        openmetrics: bool = False,
    ) -> bytes:
        """The whole /metrics body at once (tests, tools; the HTTP handler streams)."""
        scrape = self.scrape(resources=resources, exclude=exclude, openmetrics=openmetrics)
        return b"".join(scrape.chunks())

    def object_counts(self) -> dict[str, int]:
        return {res.rdef.resource: res.writer.object_count() for res in self._resources}


def discover_shard(api_client: Any, pod: str, namespace: str) -> Sharding:
    """Auto-sharding: our StatefulSet pod's ordinal of the StatefulSet's replicas.

    Read once at startup (KSM also follows later changes of the replica count)."""
    import kubernetes.client

    core = kubernetes.client.CoreV1Api(api_client)
    apps = kubernetes.client.AppsV1Api(api_client)
    try:
        resp = core.read_namespaced_pod(pod, namespace, _preload_content=False)
        obj = json.loads(resp.data)
        owner = next(
            (
                r
                for r in obj["metadata"].get("ownerReferences", [])
                if r.get("kind") == "StatefulSet"
            ),
            None,
        )
        if owner is None:
            raise SourceError(f"--pod {namespace}/{pod} is not owned by a StatefulSet")
        resp = apps.read_namespaced_stateful_set(owner["name"], namespace, _preload_content=False)
        sts = json.loads(resp.data)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(f"auto-sharding: cannot read pod {namespace}/{pod}: {exc}") from exc
    ordinal = pod.rsplit("-", 1)[-1]
    if not ordinal.isdigit():
        raise SourceError(f"auto-sharding: pod name {pod!r} has no StatefulSet ordinal")
    return Sharding(int(ordinal), int(sts["spec"].get("replicas", 1)))
