"""Fixtures: a seeded simulated cluster served over HTTP, and the unmodified
kubernetes client pointed at it through the kubeconfig the lab writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.cluster.control import Cluster
from lab.cluster.kubeconfig import write_kubeconfig
from lab.cluster.seed import populate
from lab.cluster.server import ClusterServer
from lab.cluster.store import Store


@pytest.fixture
def sim() -> Cluster:
    cluster = Cluster(Store(history=50))
    populate(cluster, nodes=3, pods=30)
    return cluster


@pytest.fixture
def server(sim: Cluster) -> Iterator[ClusterServer]:
    with ClusterServer(sim.store, bookmark_interval=0.2) as srv:
        yield srv


@pytest.fixture
def api_client(server: ClusterServer, tmp_path: Path) -> Iterator[Any]:
    import kubernetes.client
    import kubernetes.config

    path = write_kubeconfig(tmp_path / "kubeconfig", server.url)
    client = kubernetes.config.new_client_from_config(config_file=str(path))
    yield client
    client.close()


@pytest.fixture
def core(api_client: Any) -> Any:
    import kubernetes.client

    return kubernetes.client.CoreV1Api(api_client)


@pytest.fixture
def apps(api_client: Any) -> Any:
    import kubernetes.client

    return kubernetes.client.AppsV1Api(api_client)
