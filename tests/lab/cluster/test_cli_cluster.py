"""``promlab cluster simulate`` as a process: the kubeconfig it writes works
for the kubernetes client and for kubectl (when installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

OBJECTS = """
apiVersion: v1
kind: Namespace
metadata: {name: extra}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored-kind}
"""


@pytest.fixture
def simulate(tmp_path: Path) -> Iterator[Path]:
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "cluster",
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--kubeconfig-out",
            str(kubeconfig),
            "--nodes",
            "2",
            "--pods",
            "12",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the socket is bound
        assert "serving on http://127.0.0.1:" in line, proc.stderr.read() if proc.stderr else ""
        yield kubeconfig
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # reaps the process and closes its pipes


def test_kubeconfig_points_at_the_server(simulate: Path) -> None:
    import kubernetes.client
    import kubernetes.config

    cfg = yaml.safe_load(simulate.read_text())
    assert cfg["clusters"][0]["cluster"]["server"].startswith("http://127.0.0.1:")
    client = kubernetes.config.new_client_from_config(config_file=str(simulate))
    try:
        pods = kubernetes.client.CoreV1Api(client).list_pod_for_all_namespaces()
        assert len(pods.items) == 12
    finally:
        client.close()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_get(simulate: Path) -> None:
    env = dict(os.environ, KUBECONFIG=str(simulate))
    out = subprocess.run(
        ["kubectl", "get", "nodes", "-o", "name"],
        env=env,
        text=True,
        capture_output=True,
        timeout=30,
        check=True,
    ).stdout
    assert out.split() == ["node/node-0000", "node/node-0001"]
    out = subprocess.run(
        ["kubectl", "get", "deploy", "-A", "-o", "name"],
        env=env,
        text=True,
        capture_output=True,
        timeout=30,
        check=True,
    ).stdout
    assert "deployment.apps/svc-0000" in out


def test_bad_objects_file_is_a_clear_error(tmp_path: Path) -> None:
    objects = tmp_path / "objects.yaml"
    objects.write_text(OBJECTS)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab",
            "cluster",
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--objects",
            str(objects),
            "--nodes",
            "0",
            "--pods",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0
    assert "unsupported kind 'ConfigMap'" in proc.stderr
