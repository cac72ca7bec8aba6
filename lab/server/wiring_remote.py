"""Remote write and remote read as the server runs them: the composition
root's helper.

``RemoteWiring(storage, directory)`` stands where the server's storage
stood: it is the ``Appendable`` scrape loops and rules write into and the
``Queryable`` the API, federation and rules read from.

* writes: with ``remote_write`` configured, every commit goes to the storage
  first and then to the durable remote-write queue (``RemoteWriteStorage`` in
  ``directory``), so scraped and recorded samples are both sent; without it,
  appenders are the storage's own (its batch fast path included);
* reads: with ``remote_read`` configured, selects merge the storage with every
  remote-read endpoint (``MergeQueryable``); endpoints without
  ``read_recent`` are only asked for ranges older than the storage's data;
* ``routes(app, ...)``: ``POST /api/v1/write`` (``--web.enable-remote-write-
  receiver``) into the storage, ``POST /api/v1/read`` from it.

``check(config)`` parses both sections (raising ``RemoteConfigError``) before
anything changes; ``await apply(...)`` then rebuilds only what differs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.clock import Clock
from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.remote.config import (
    RemoteReadConfig,
    RemoteWriteConfig,
    remote_read_configs,
    remote_write_configs,
)
from lab.server.remote.read_client import RemoteReadQueryable
from lab.server.remote.read_server import read_handler
from lab.server.remote.receiver import write_handler
from lab.server.remote.storage import FanoutAppender, RemoteWriteStorage
from lab.server.sharding.merge import MergeQueryable
from lab.server.storage.interface import Appender, Querier, Queryable, Series

if TYPE_CHECKING:
    from aiohttp import web

    from lab.server.config import Config

log = logging.getLogger(__name__)

#: On reload, how long the replaced queues may keep sending; what they leave
#: is in the durable queue and the new queues resume from their positions.
RELOAD_FLUSH_S = 1.0


@dataclass(frozen=True)
class RemoteConfigs:
    write: tuple[RemoteWriteConfig, ...]
    read: tuple[RemoteReadConfig, ...]


def check(config: Config) -> RemoteConfigs:
    """Both sections parsed (``RemoteConfigError`` names the bad field)."""
    return RemoteConfigs(remote_write_configs(config), remote_read_configs(config))


class RemoteWiring:
    def __init__(
        self,
        storage: Any,
        directory: Path,
        *,
        clock: Clock | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.storage = storage
        self.directory = directory
        self.clock = clock
        self.executor = executor
        self.configs = RemoteConfigs((), ())
        self.writer: RemoteWriteStorage | None = None
        self._readers: list[tuple[RemoteReadConfig, RemoteReadQueryable]] = []
        #: one merge (and its thread pool) per set of endpoints a query may use
        self._merged: dict[tuple[int, ...], MergeQueryable] = {}
        self._merged_lock = threading.Lock()
        self._external = Labels()
        self._started = False

    # -- Appendable ------------------------------------------------------------------------

    def appender(self) -> Appender:
        primary: Appender = self.storage.appender()
        if self.writer is None:
            return primary
        return _QueuedAppender(primary, [self.writer.appender()])

    # -- Queryable -------------------------------------------------------------------------

    def querier(self, mint_ms: int, maxt_ms: int) -> Querier:
        readers = [
            (cfg, q) for cfg, q in self._readers
            if cfg.read_recent or not self._local_covers(mint_ms)
        ]  # fmt: skip
        if not readers:
            querier: Querier = self.storage.querier(mint_ms, maxt_ms)
            return querier
        key = tuple(id(q) for _, q in readers)
        with self._merged_lock:  # queries run in several executor threads
            merged = self._merged.get(key)
            if merged is None:
                stores: list[Queryable] = [self.storage]
                stores += [_ExternalLabelsFilter(q, self._external) if c.filter_external_labels
                           else q for c, q in readers]  # fmt: skip
                names = ["local storage", *(c.name or c.url for c, _ in readers)]
                merged = self._merged[key] = MergeQueryable(stores, names=names)
        return merged.querier(mint_ms, maxt_ms)

    def _local_covers(self, mint_ms: int) -> bool:
        """Whether the storage holds data from ``mint_ms`` on (upstream's
        PreferLocalStorageFilter over the TSDB's start time: its oldest block's,
        else its head's); unknown or empty means no, so remote data is read."""
        start = _start_time_ms(self.storage)
        return start is not None and mint_ms >= start

    def __getattr__(self, name: str) -> Any:
        # The admin API (delete, snapshot ...) and the status pages look for the
        # TSDB's own methods on the server's storage: this stands in for it.
        if name.startswith("_") or name == "storage":  # during __init__: do not recurse
            raise AttributeError(name)
        return getattr(self.storage, name)

    # -- configuration ---------------------------------------------------------------------

    async def apply(self, configs: RemoteConfigs, external_labels: Labels) -> None:
        """Start, keep or replace the queues and readers to match ``configs``."""
        if configs.write != self.configs.write or external_labels != self._external:
            old, self.writer = self.writer, None
            if old is not None:
                await old.stop(RELOAD_FLUSH_S)
            if configs.write:
                writer = RemoteWriteStorage(
                    self.directory, configs.write, external_labels=external_labels,
                    clock=self.clock,
                )  # fmt: skip
                if self._started:
                    await writer.start()
                self.writer = writer
        if configs.read != self.configs.read or external_labels != self._external:
            self._close_readers()
            self._readers = [(c, RemoteReadQueryable(c)) for c in configs.read]
        self._external = external_labels
        self.configs = configs

    async def start(self) -> None:
        self._started = True
        if self.writer is not None:
            await self.writer.start()

    async def stop(self) -> None:
        """Send what is committed (bounded) and close the queues and readers."""
        self._started = False
        writer, self.writer = self.writer, None
        if writer is not None:
            await writer.stop()
        self._close_readers()

    def _close_readers(self) -> None:
        merged, self._merged = self._merged, {}
        for m in merged.values():
            m.close()
        readers, self._readers = self._readers, []
        for _, q in readers:
            q.close()

    # -- HTTP ------------------------------------------------------------------------------

    def routes(
        self, app: web.Application, *, receiver: bool, external_labels: Callable[[], Labels]
    ) -> None:
        """``/api/v1/read`` always (as Prometheus); ``/api/v1/write`` with the
        receiver enabled (without it Prometheus answers 404)."""
        app.router.add_post(
            "/api/v1/read",
            read_handler(self, external_labels=external_labels, executor=self.executor),
        )
        if receiver:
            # Received samples go to the local storage only: forwarding them
            # through remote_write again could loop between two servers.
            app.router.add_post(
                "/api/v1/write", write_handler(self.storage, executor=self.executor)
            )
        else:
            app.router.add_post("/api/v1/write", _receiver_disabled)


def _start_time_ms(storage: Any) -> int | None:
    blocks = getattr(storage, "blocks", None)
    metas = blocks() if callable(blocks) else []
    if metas:
        return min(int(m.min_time) for m in metas)
    head = getattr(storage, "head", None)
    min_t = getattr(head, "min_t", None)
    if not callable(min_t):
        return None
    t = int(min_t())
    return None if t == _EMPTY_HEAD else t


#: a TSDB head's min_t() before its first sample
_EMPTY_HEAD = 2**63 - 1


async def _receiver_disabled(request: web.Request) -> web.StreamResponse:
    """Prometheus's answer with the receiver off: 404 and what to enable."""
    from aiohttp import web

    return web.Response(
        status=404,
        text="remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n",
        content_type="text/plain",
    )


class _QueuedAppender(FanoutAppender):
    # The queue's commit fsyncs: event-loop callers (the scrape loop) move it
    # to a worker thread when an appender says so.
    commit_waits_on_io = True

    def __init__(self, primary: Appender, secondaries: list[Appender]) -> None:
        super().__init__(primary, secondaries)


class _ExternalLabelsFilter:
    """Upstream's ``filter_external_labels``: ask the remote only for series
    carrying this server's external labels, and return them without those
    labels (they are added again on the way out, as for local data)."""

    def __init__(self, inner: Queryable, external: Labels) -> None:
        self._inner = inner
        self._external = external

    def querier(self, mint_ms: int, maxt_ms: int) -> Querier:
        return _FilteringQuerier(self._inner.querier(mint_ms, maxt_ms), self._external)


class _FilteringQuerier:
    def __init__(self, inner: Querier, external: Labels) -> None:
        self._inner = inner
        self._external = external

    def _matchers(self, matchers: Sequence[Matcher]) -> tuple[list[Matcher], list[str]]:
        have = {m.name for m in matchers}
        added = [(k, v) for k, v in self._external.to_dict().items() if k not in have]
        extra = [Matcher(MatchType.EQUAL, k, v) for k, v in added]
        return [*matchers, *extra], [k for k, _ in added]

    def select(self, matchers: Sequence[Matcher]) -> list[Series]:
        full, added = self._matchers(matchers)
        out = []
        for s in self._inner.select(full):
            labels = s.labels.without(*added) if added else s.labels
            out.append(Series(labels, s.timestamps, s.values))
        out.sort(key=lambda s: s.labels)
        return out

    def label_names(self, matchers: Sequence[Matcher] = ()) -> list[str]:
        full, added = self._matchers(matchers)
        return [n for n in self._inner.label_names(full) if n not in added]

    def label_values(self, name: str, matchers: Sequence[Matcher] = ()) -> list[str]:
        full, _ = self._matchers(matchers)
        return self._inner.label_values(name, full)

    def close(self) -> None:
        self._inner.close()
