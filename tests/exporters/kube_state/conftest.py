"""Fixtures: the exporter running against the simulated cluster over HTTP,
with the real kubernetes client (no stubs)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from exporters.kube_state.app import KubeStateExporter
from exporters.kube_state.client import make_api_client
from exporters.kube_state.config import Config
from lab.cluster.control import Cluster
from lab.cluster.kubeconfig import write_kubeconfig
from lab.cluster.seed import populate
from lab.cluster.server import ClusterServer
from lab.cluster.store import Store

SYNC_TIMEOUT = 20.0


@pytest.fixture
def sim() -> Cluster:
    cluster = Cluster(Store(history=1000))
    populate(cluster, nodes=3, pods=30)
    return cluster


@pytest.fixture
def server(sim: Cluster) -> Iterator[ClusterServer]:
    with ClusterServer(sim.store, bookmark_interval=0.5) as srv:
        yield srv


@pytest.fixture
def api_client(server: ClusterServer, tmp_path: Path) -> Iterator[Any]:
    client = make_api_client(str(write_kubeconfig(tmp_path / "kubeconfig", server.url)))
    yield client
    client.close()


Factory = Callable[..., KubeStateExporter]


@pytest.fixture
def exporter(api_client: Any) -> Iterator[Factory]:
    started: list[KubeStateExporter] = []

    def make(config: Config | None = None, **flags: Any) -> KubeStateExporter:
        cfg = config or Config.from_flags(**flags)
        ex = KubeStateExporter(cfg, api_client, watch_timeout_min=2, backoff_initial=0.05)
        ex.start()
        started.append(ex)
        assert ex.wait_synced(SYNC_TIMEOUT), "initial lists did not complete"
        return ex

    yield make
    for ex in started:
        ex.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll until ``predicate()`` holds (watch events are asynchronous); bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def lines(ex: KubeStateExporter, prefix: str = "") -> list[str]:
    return [
        ln
        for ln in ex.render().decode().splitlines()
        if ln.startswith(prefix) and not ln.startswith("#")
    ]
