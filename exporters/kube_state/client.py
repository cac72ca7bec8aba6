"""Building the kubernetes client: ``--kubeconfig``, in-cluster config (a
ServiceAccount token, when ``KUBERNETES_SERVICE_HOST`` is set), or the default
kubeconfig; ``--apiserver`` overrides the server URL."""

from __future__ import annotations

import os
from typing import Any

from .errors import SourceError

#: one connection per watch plus room for lists
DEFAULT_POOL = 64


def make_api_client(
    kubeconfig: str | None = None, apiserver: str | None = None, *, pool: int = DEFAULT_POOL
) -> Any:
    import kubernetes.client
    import kubernetes.config

    cfg = kubernetes.client.Configuration()
    try:
        if kubeconfig:
            kubernetes.config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            kubernetes.config.load_incluster_config(client_configuration=cfg)
        elif not apiserver:
            kubernetes.config.load_kube_config(client_configuration=cfg)
    except (kubernetes.config.ConfigException, OSError) as exc:
        raise SourceError(f"cannot load the Kubernetes client configuration: {exc}") from exc
    if apiserver:
        cfg.host = apiserver.rstrip("/")
    # Every reflector holds a connection for its watch; a small pool would thrash.
    cfg.connection_pool_maxsize = max(cfg.connection_pool_maxsize or 0, pool)
    return kubernetes.client.ApiClient(cfg)
