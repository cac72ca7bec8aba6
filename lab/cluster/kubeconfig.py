"""The kubeconfig that points clients (kubectl, the kubernetes Python client,
Prometheus' kubernetes_sd) at the simulated cluster: plain HTTP on loopback,
no credentials (the simulated server does no authentication)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONTEXT = "promlab"


def kubeconfig(server: str, *, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": {"server": server}}],
        "users": [{"name": CONTEXT, "user": {}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
    }


def write_kubeconfig(path: str | Path, server: str, *, namespace: str = "default") -> Path:
    """Write the kubeconfig atomically (a reader never sees half a file)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(yaml.safe_dump(kubeconfig(server, namespace=namespace), sort_keys=False))
    tmp.replace(target)
    return target
