"""The global querier: the Prometheus query API over several remote-read stores.

``querier_app(store_urls, replica_label=...)`` builds the aiohttp app that
``promlab querier`` serves: the API engineer's ``lab.server.api`` routes over
a ``MergeQueryable`` of ``RemoteReadQueryable``s (one per ``--store``), plus
``/api/v1/read`` over the same merge so queriers can be stacked. Stores are
remote-read endpoints: a promlab server or a real Prometheus
(``http://host:9090/api/v1/read``).

``partial_response`` (None: on exactly when a ``replica_label`` is given)
lets queries answer from the stores that are up, with a warning naming each
one that is down: with HA replicas a replica being down is the failure the
setup exists for, while over plain shards a missing shard is missing data and
fails the query.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aiohttp import web

from lab.server.api.deps import ApiDeps
from lab.server.api.routes import build_app
from lab.server.remote.read_client import RemoteReadQueryable
from lab.server.remote.read_server import read_handler
from lab.server.sharding.merge import MergeQueryable


def store_url(url: str) -> str:
    """Accept a server's base URL or its remote-read URL."""
    url = url.rstrip("/")
    return url if url.endswith("/api/v1/read") else url + "/api/v1/read"


@dataclass
class GlobalQuerier:
    app: web.Application
    merge: MergeQueryable
    stores: list[RemoteReadQueryable]
    executor: ThreadPoolExecutor

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.merge.close()
        for s in self.stores:
            s.close()


def querier_app(
    store_urls: Sequence[str],
    *,
    replica_label: str = "",
    base: web.Application | None = None,
    max_concurrency: int = 4,
    partial_response: bool | None = None,
) -> GlobalQuerier:
    stores = [RemoteReadQueryable(store_url(u)) for u in store_urls]
    partial = bool(replica_label) if partial_response is None else partial_response
    merge = MergeQueryable(stores, replica_label=replica_label, partial_response=partial,
                           names=[store_url(u) for u in store_urls])  # fmt: skip
    executor = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="query")
    deps = ApiDeps(
        queryable=merge,
        now_ms=lambda: time.time_ns() // 1_000_000,
        flags={
            "store": ",".join(store_urls),
            "query.replica-label": replica_label,
            "query.partial-response": str(partial).lower(),
        },
        executor=executor,
    )
    app = build_app(deps, base)
    app.router.add_post("/api/v1/read", read_handler(merge, executor=executor))
    return GlobalQuerier(app, merge, stores, executor)
