"""Kubernetes objects -> target groups (data/kubernetes_objects.yml), endpoints
with pod and service metadata, and the event-driven discoverer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.server.scrape.discovery.kubernetes import (
    KubernetesDiscoverer,
    endpoints_group,
    node_group,
    pod_group,
    service_group,
)
from tests.lab.server.scrape.fixtures import run

DATA = Path(__file__).parent.parent / "data" / "kubernetes_objects.yml"
CASES = yaml.safe_load(DATA.read_text())
MAPPERS = {"pod": pod_group, "service": service_group, "node": node_group}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_object_to_group(case: dict[str, Any]) -> None:
    group = MAPPERS[case["role"]](case["object"])
    assert group.source == case["source"]
    assert dict(group.labels) == case["labels"]
    assert [dict(t) for t in group.targets] == case["targets"]


def test_endpoints_with_pod_and_service() -> None:
    pod = next(c["object"] for c in CASES if c["role"] == "pod")
    svc = next(c["object"] for c in CASES if c["role"] == "service")
    eps = {
        "metadata": {"name": "web", "namespace": "shop"},
        "subsets": [
            {
                "addresses": [
                    {"ip": "10.1.2.3", "nodeName": "n1",
                     "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "shop"}}
                ],
                "notReadyAddresses": [{"ip": "10.1.2.4"}],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            }
        ],
    }  # fmt: skip
    group = endpoints_group(eps, {("shop", "web-1"): pod}, {("shop", "web"): svc})
    assert group.source == "endpoints/shop/web"
    assert group.labels["__meta_kubernetes_endpoints_name"] == "web"
    assert group.labels["__meta_kubernetes_service_label_tier"] == "fe"
    ready, not_ready = group.targets
    assert ready["__address__"] == "10.1.2.3:8080"
    assert ready["__meta_kubernetes_endpoint_ready"] == "true"
    assert ready["__meta_kubernetes_endpoint_address_target_kind"] == "Pod"
    assert ready["__meta_kubernetes_pod_name"] == "web-1"
    assert ready["__meta_kubernetes_pod_container_port_name"] == "http"
    assert not_ready["__meta_kubernetes_endpoint_ready"] == "false"
    assert "__meta_kubernetes_pod_name" not in not_ready


def test_pod_without_ip_has_no_targets() -> None:
    group = pod_group({"metadata": {"name": "p", "namespace": "n"}, "status": {}})
    assert group.targets == ()


def test_discoverer_turns_events_into_updates() -> None:
    node = next(c["object"] for c in CASES if c["role"] == "node")

    class Source:
        async def events(self) -> AsyncIterator[tuple[str, Any]]:
            yield "ADDED", node
            yield "DELETED", node

    async def body() -> list[Any]:
        return [u async for u in KubernetesDiscoverer("node", Source()).run()]

    added, deleted = run(body)
    assert added[0].targets[0]["__address__"] == "192.168.0.10:10250"
    assert deleted[0].source == "node/n1"
    assert deleted[0].targets == ()
