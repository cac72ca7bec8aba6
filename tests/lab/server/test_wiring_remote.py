"""``RemoteWiring`` in isolation: remote_read merged into selects (read_recent,
filter_external_labels), the write queue fanned out behind the storage."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from aiohttp import web

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.remote.config import RemoteReadConfig, parse_remote_write
from lab.server.remote.read_server import read_handler
from lab.server.storage.memory import MemoryAppender, MemoryStorage
from lab.server.wiring_remote import RemoteConfigs, RemoteWiring
from tests.loopback import serve

ANY = [Matcher(MatchType.REGEX, "__name__", "m.*")]


def _names(wiring: RemoteWiring, mint: int = 0) -> list[dict[str, str]]:
    q = wiring.querier(mint, 10_000)
    try:
        return [s.labels.to_dict() for s in q.select(ANY)]
    finally:
        q.close()


class _TSDBLike(MemoryStorage):
    """A storage that knows where its data starts, as the TSDB does."""

    def blocks(self) -> list[SimpleNamespace]:
        return [SimpleNamespace(min_time=5_000)]


def test_remote_read_merge_recent_and_external_labels(tmp_path: Path) -> None:
    remote = MemoryStorage()
    remote.add_series(Labels.of(__name__="m_remote", site="lab"), [1_000], [1.0])
    remote.add_series(Labels.of(__name__="m_other_site", site="elsewhere"), [1_000], [1.0])
    local = _TSDBLike()
    local.add_series(Labels.of(__name__="m_local"), [6_000], [2.0])
    app = web.Application()
    app.router.add_post("/api/v1/read", read_handler(remote))
    with serve(app) as url:
        wiring = RemoteWiring(local, tmp_path)
        recent = RemoteReadConfig(url=url + "/api/v1/read", read_recent=True)
        asyncio.run(wiring.apply(RemoteConfigs((), (recent,)), Labels.of(site="lab")))
        # only the remote series with our external labels, returned without them
        assert _names(wiring) == [{"__name__": "m_local"}, {"__name__": "m_remote"}]

        unfiltered = RemoteReadConfig(
            url=url + "/api/v1/read", filter_external_labels=False, name="all"
        )
        asyncio.run(wiring.apply(RemoteConfigs((), (unfiltered,)), Labels.of(site="lab")))
        # read_recent false: not asked for ranges the local data covers
        assert _names(wiring, mint=5_000) == [{"__name__": "m_local"}]
        assert _names(wiring, mint=0) == [
            {"__name__": "m_local"},
            {"__name__": "m_other_site", "site": "elsewhere"},
            {"__name__": "m_remote", "site": "lab"},
        ]
        asyncio.run(wiring.stop())


def test_write_queue_fans_out_behind_the_storage(tmp_path: Path) -> None:
    local = MemoryStorage()
    wiring = RemoteWiring(local, tmp_path / "remote")
    assert isinstance(wiring.appender(), MemoryAppender)  # no queue: the storage's own
    cfg = parse_remote_write({"url": "http://127.0.0.1:9/api/v1/write"})

    async def body() -> None:
        await wiring.apply(RemoteConfigs((cfg,), ()), Labels())
        app = wiring.appender()
        assert getattr(app, "commit_waits_on_io", False)  # the queue fsyncs
        app.append(Labels.of(__name__="m"), 1_000, 1.0)
        app.commit()
        assert wiring.writer is not None
        assert wiring.writer.log.segments()  # queued durably
        await wiring.stop()

    asyncio.run(body())
    assert [lset.to_dict() for lset in local.all_labels()] == [{"__name__": "m"}]
