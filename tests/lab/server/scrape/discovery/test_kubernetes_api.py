"""kubernetes_sd_configs end to end: our ScrapeManager lists and watches the
simulated cluster over HTTP (kube_cluster.py), with the classic
``prometheus.io/scrape`` relabeling; targets follow scaling, relabelled and
deleted pods, endpoints joins, a 410 Gone relist and an API server restart.

Every wait is bounded polling (``until``), never a timed assertion.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from lab.clock import Clock, RealClock
from lab.cluster.control import Cluster
from lab.cluster.kubeconfig import write_kubeconfig
from lab.cluster.server import ClusterServer
from lab.server.config import ScrapeConfig, loads
from lab.server.scrape.discovery.base import Discoverer
from lab.server.scrape.discovery.kubernetes import KubernetesDiscoverer
from lab.server.scrape.discovery.kubernetes_api import ApiSource
from lab.server.scrape.errors import ScrapeFailedError
from lab.server.scrape.manager import ScrapeManager, TargetsSnapshot
from lab.server.scrape.scraper import ScrapeRequest, ScrapeResponse
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.scrape.discovery import kube_cluster as kc
from tests.lab.server.scrape.fixtures import run
from tests.reference import free_port

#: a bound for polling, so a broken test fails instead of hanging
BOUND_S = 20.0


async def until(pred: Callable[[], bool], bound: float = BOUND_S) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while not pred():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


class NoScrape:
    """Discovery is under test, not scraping: every scrape fails at once."""

    async def scrape(self, request: ScrapeRequest) -> ScrapeResponse:
        raise ScrapeFailedError("not scraped in this test")


class Factory:
    """The kubernetes_sd factory with fast retries; keeps the sources for inspection."""

    def __init__(self) -> None:
        self.sources: list[ApiSource] = []

    def __call__(self, cfg: ScrapeConfig, clock: Clock) -> list[Discoverer]:
        out: list[Discoverer] = []
        for sd in cfg.kubernetes_sd_configs:
            src = ApiSource(sd, watch_timeout_min=1, backoff_initial=0.05, backoff_max=0.5)
            self.sources.append(src)
            out.append(KubernetesDiscoverer(sd.role, src))
        return out


@pytest.fixture
def sim() -> Cluster:
    return kc.build()


@pytest.fixture
def server(sim: Cluster) -> Iterator[ClusterServer]:
    # No bookmarks: a watch renewed after compaction gets 410 Gone.
    with ClusterServer(sim.store, bookmark_interval=3600) as srv:
        yield srv


@asynccontextmanager
async def manager(config: str, factory: Factory | None = None) -> AsyncIterator[ScrapeManager]:
    m = ScrapeManager(
        MemoryStorage(),
        RealClock(),
        scraper_factory=lambda cfg: NoScrape(),
        discoverer_factories={"kubernetes_sd_configs": factory or Factory()},
    )
    await m.apply_config(loads(config))
    try:
        yield m
    finally:
        await m.stop()


def active(snap: TargetsSnapshot, job: str) -> dict[str, dict[str, str]]:
    """Active targets of ``job`` by instance: their public labels."""
    return {t.labels.get("instance"): dict(t.labels) for t in snap.active if t.scrape_pool == job}


def pod_instances(sim: Cluster, deployment: str, port: int = 8080) -> set[str]:
    return {f"{p['status']['podIP']}:{port}" for p in kc.pods_of(sim, deployment)}


def test_annotated_pods_are_the_targets_and_follow_scaling(
    sim: Cluster, server: ClusterServer
) -> None:
    config = kc.scrape_config(server.url, free_port())

    async def body() -> None:
        async with manager(config) as m:
            assert await until(
                lambda: set(active(m.targets(), "annotated")) == pod_instances(sim, "web")
            )
            snap = m.targets()
            web = kc.pods_of(sim, "web")[0]
            labels = active(snap, "annotated")[f"{web['status']['podIP']}:8080"]
            assert labels == {
                "instance": f"{web['status']['podIP']}:8080",
                "job": "annotated",
                "namespace": "shop",
                "pod": web["metadata"]["name"],
                "app_kubernetes_io_name": "web",
                "pod_template_hash": web["metadata"]["labels"]["pod-template-hash"],
            }
            status = next(t for t in snap.active if t.labels.get("instance") == labels["instance"])
            assert status.scrape_url.endswith("/custom/metrics")
            # api pods (3 targets each: 8080, 9102, the sidecar) are dropped
            assert len([p for p in snap.dropped_pools if p == "annotated"]) == 6

            sim.scale_deployment("shop", "web", 4)
            assert await until(
                lambda: set(active(m.targets(), "annotated")) == pod_instances(sim, "web")
            )
            assert len(active(m.targets(), "annotated")) == 4
            sim.scale_deployment("shop", "web", 1)
            assert await until(lambda: len(active(m.targets(), "annotated")) == 1)
            assert set(active(m.targets(), "annotated")) == pod_instances(sim, "web")
            # scaling the unannotated deployment changes only the dropped list
            sim.scale_deployment("shop", "api", 3)
            assert await until(lambda: m.targets().dropped_pools.count("annotated") == 9)
            assert len(active(m.targets(), "annotated")) == 1

    run(body)


def test_relabelled_and_deleted_pods(sim: Cluster, server: ClusterServer) -> None:
    config = kc.scrape_config(server.url, free_port())

    async def body() -> None:
        async with manager(config) as m:
            assert await until(lambda: len(active(m.targets(), "annotated")) == 2)
            pod = kc.pods_of(sim, "web")[0]
            name, instance = pod["metadata"]["name"], f"{pod['status']['podIP']}:8080"

            def relabel(p: dict[str, Any]) -> None:
                p["metadata"]["labels"]["tier"] = "frontend"

            sim.store.mutate("pods", "shop", name, relabel)
            assert await until(
                lambda: active(m.targets(), "annotated")[instance].get("tier") == "frontend"
            )

            def unannotate(p: dict[str, Any]) -> None:
                p["metadata"]["annotations"]["prometheus.io/scrape"] = "false"

            sim.store.mutate("pods", "shop", name, unannotate)
            assert await until(lambda: instance not in active(m.targets(), "annotated"))
            other = kc.pods_of(sim, "web")[1]
            sim.delete_pod("shop", other["metadata"]["name"])
            assert await until(lambda: active(m.targets(), "annotated") == {})

    run(body)


def test_endpoints_role_joins_pods_and_services(sim: Cluster, server: ClusterServer) -> None:
    config = kc.scrape_config(server.url, free_port(), roles=("endpoints",))

    async def body() -> None:
        async with manager(config) as m:
            # per api pod: 8080 from the endpoints, 9102 as an extra pod-port target
            want = pod_instances(sim, "web") | pod_instances(sim, "api")
            want |= pod_instances(sim, "api", 9102)
            assert await until(lambda: set(active(m.targets(), "endpoints")) == want)
            snap = m.targets()
            api = kc.pods_of(sim, "api")[0]
            by_instance = {t.labels.get("instance"): dict(t.discovered_labels) for t in snap.active}
            listed = by_instance[f"{api['status']['podIP']}:8080"]
            extra = by_instance[f"{api['status']['podIP']}:9102"]
            assert listed["__meta_kubernetes_endpoint_ready"] == "true"
            assert listed["__meta_kubernetes_service_name"] == "api"
            assert listed["__meta_kubernetes_pod_container_port_name"] == "http"
            assert extra["__meta_kubernetes_pod_container_port_name"] == "metrics"
            assert extra["__meta_kubernetes_pod_name"] == api["metadata"]["name"]
            assert extra["__meta_kubernetes_endpoints_name"] == "api"
            assert not any(k.startswith("__meta_kubernetes_endpoint_") for k in extra)

            # a service change re-sends its endpoints' group
            def label(svc: dict[str, Any]) -> None:
                svc["metadata"]["labels"]["team"] = "payments"

            sim.store.mutate("services", "shop", "api", label)
            key = "__meta_kubernetes_service_label_team"

            def service_label() -> str | None:
                for t in m.targets().active:
                    if t.labels.get("instance") == f"{api['status']['podIP']}:8080":
                        return t.discovered_labels.get(key)
                return None

            assert await until(lambda: service_label() == "payments")
            # a pod change re-sends the endpoints that name it

            def relabel(p: dict[str, Any]) -> None:
                p["metadata"]["labels"]["canary"] = "yes"

            sim.store.mutate("pods", "shop", api["metadata"]["name"], relabel)
            pkey = "__meta_kubernetes_pod_label_canary"
            assert await until(
                lambda: any(t.discovered_labels.get(pkey) == "yes" for t in m.targets().active)
            )
            # scaling changes the Endpoints (the simulated endpoints controller)
            sim.scale_deployment("shop", "api", 1)
            want = pod_instances(sim, "web") | pod_instances(sim, "api")
            want |= pod_instances(sim, "api", 9102)
            assert await until(lambda: set(active(m.targets(), "endpoints")) == want)

    run(body)


def test_relist_after_410_and_reconnect(
    sim: Cluster, server: ClusterServer, tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url)
    config = (
        "scrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs:\n"
        f"      - role: pod\n        kubeconfig_file: {kubeconfig}\n"
        "        namespaces: {names: [shop]}\n"
        "        selectors: [{role: pod, label: app.kubernetes.io/name=web}]\n"
    )
    factory = Factory()

    async def body() -> None:
        async with manager(config, factory) as m:
            assert await until(
                lambda: set(active(m.targets(), "pods")) == pod_instances(sim, "web")
            )
            (reflector,) = factory.sources[0].reflectors
            sim.scale_deployment("shop", "web", 3)
            sim.scale_deployment("shop", "web", 2)
            sim.cordon("node-1")  # moves the resourceVersion past the pods' last event
            sim.store.compact()
            # The watch renews within 1-2 s from a compacted resourceVersion: 410, relist.
            assert await until(lambda: reflector.relists >= 1)
            assert await until(
                lambda: set(active(m.targets(), "pods")) == pod_instances(sim, "web")
            )

            # The API server goes away; pods change meanwhile; it comes back on the same port.
            port = server.port
            server.stop()
            sim.scale_deployment("shop", "web", 4)
            sim.scale_deployment("shop", "api", 4)  # outside the selector: never a target
            # (The client resumes the watch if it is back within urllib3's retries,
            # else the reflector relists after its backoff: either way, it converges.)
            with ClusterServer(sim.store, port=port, bookmark_interval=3600):
                assert await until(
                    lambda: set(active(m.targets(), "pods")) == pod_instances(sim, "web")
                )
                assert len(active(m.targets(), "pods")) == 4

    run(body)
