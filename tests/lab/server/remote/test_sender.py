"""The WAL-backed sender against a recording fake receiver: delivery, retries,
drops, write relabeling, and durability across restarts (no duplicates, no
losses)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from lab.model.labels import Labels
from lab.server.remote import codec
from lab.server.remote.config import parse_remote_write
from lab.server.remote.queue_log import QueueLog
from lab.server.remote.sender import QueueManager

DEADLINE_S = 20.0


class Recorder:
    """A fake receiver: records (labels, t, v) of accepted requests; ``behaviour``
    decides per request (by its 0-based number) what to answer."""

    def __init__(self, behaviour: Callable[[int], Awaitable[int]] | None = None) -> None:
        self.samples: list[tuple[Labels, int, float]] = []
        self.requests = 0
        self.behaviour = behaviour

    async def handle(self, request: web.Request) -> web.Response:
        n = self.requests
        self.requests += 1
        body = await request.read()
        assert request.headers["Content-Encoding"] == "snappy"
        assert request.headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
        status = 204 if self.behaviour is None else await self.behaviour(n)
        if status < 300:
            for s in codec.decode_write_request(body):
                for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True):
                    self.samples.append((s.labels, t, v))
        return web.Response(status=status, text="" if status < 300 else "nope")


async def _serve(rec: Recorder) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/write", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/write"


def _config(url: str, **queue: Any) -> Any:
    q = {"batch_send_deadline": "20ms", "min_backoff": "1ms", "max_backoff": "5ms", **queue}
    # A name keeps the position file the same when the fake receiver's port changes.
    return parse_remote_write({"url": url, "name": "test", "queue_config": q})


def _write(log: QueueLog, first: int, n: int, series: int = 5) -> list[tuple[Labels, int, float]]:
    out = []
    app = log.appender()
    for i in range(first, first + n):
        lset = Labels.of(__name__="m", s=str(i % series))
        app.append(lset, i * 1000, float(i))
        out.append((lset, i * 1000, float(i)))
    app.commit()
    return out


async def _until(cond: Callable[[], bool], what: str) -> None:
    async def poll() -> None:
        while not cond():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), DEADLINE_S)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def _stop(m: QueueManager, task: asyncio.Task[None]) -> None:
    m.stop()
    await asyncio.wait_for(task, DEADLINE_S)
    await m.close()


def test_sends_everything_committed_in_order_per_series(tmp_path: Path) -> None:
    async def body() -> None:
        rec = Recorder()
        runner, url = await _serve(rec)
        log = QueueLog(tmp_path / "q", segment_bytes=2048)  # several segments
        m = QueueManager(log, _config(url, max_samples_per_send=7, max_shards=3),
                         tmp_path / "pos")  # fmt: skip
        task = asyncio.create_task(m.run())
        sent = []
        for k in range(10):
            sent += _write(log, k * 20, 20)
        await _until(lambda: len(rec.samples) >= len(sent), "all samples")
        await _stop(m, task)
        assert Counter(rec.samples) == Counter(sent)
        for s in {lset for lset, _, _ in sent}:
            ts = [t for lset, t, _ in rec.samples if lset == s]
            assert ts == sorted(ts)
        assert m.stats.samples_sent == len(sent)
        log.truncate_before(m.state.position.segment)
        assert len(log.segments()) <= 2
        log.close()
        await runner.cleanup()

    asyncio.run(body())


def test_retries_5xx_and_drops_4xx(tmp_path: Path) -> None:
    async def behaviour(n: int) -> int:
        return {0: 500, 1: 503, 3: 400}.get(n, 204)

    async def body() -> None:
        rec = Recorder(behaviour)
        runner, url = await _serve(rec)
        log = QueueLog(tmp_path / "q")
        m = QueueManager(log, _config(url, max_samples_per_send=10, max_shards=1),
                         tmp_path / "pos")  # fmt: skip
        task = asyncio.create_task(m.run())
        first = _write(log, 0, 10)
        await _until(lambda: len(rec.samples) >= 10, "the first batch")  # 500, 503, 204
        second = _write(log, 10, 10)  # first attempt gets 400: dropped
        await _until(lambda: m.stats.requests_failed == 1, "the drop")
        third = _write(log, 20, 10)
        await _until(lambda: len(rec.samples) >= 20, "the third batch")
        await _stop(m, task)
        assert Counter(rec.samples) == Counter(first + third)
        assert not set(second) & set(rec.samples)
        assert m.stats.requests_retried == 2 and m.stats.samples_dropped == 10
        log.close()
        await runner.cleanup()

    asyncio.run(body())


def test_write_relabel_and_external_labels(tmp_path: Path) -> None:
    async def body() -> None:
        rec = Recorder()
        runner, url = await _serve(rec)
        log = QueueLog(tmp_path / "q")
        cfg = parse_remote_write({
            "url": url, "queue_config": {"batch_send_deadline": "10ms"},
            "write_relabel_configs": [{"source_labels": ["s"], "regex": "0", "action": "drop"}],
        })  # fmt: skip
        m = QueueManager(log, cfg, tmp_path / "pos", external_labels=Labels.of(replica="r1"))
        task = asyncio.create_task(m.run())
        _write(log, 0, 10, series=2)
        await _until(lambda: len(rec.samples) >= 5, "samples")
        await _stop(m, task)
        assert {lset for lset, _, _ in rec.samples} == {Labels.of(__name__="m", s="1",
                                                                  replica="r1")}  # fmt: skip
        assert m.stats.samples_relabel_dropped == 5
        log.close()
        await runner.cleanup()

    asyncio.run(body())


def test_restart_resends_nothing_acknowledged_and_loses_nothing(tmp_path: Path) -> None:
    """Crash (task cancelled, nothing flushed) while one shard's request hangs
    unanswered and the other shards' requests were acknowledged; a new log
    and manager over the same directories deliver exactly the rest."""
    hang = asyncio.Event()

    async def hanging(n: int) -> int:
        if n == 2:
            await hang.wait()  # never answered before the crash
        return 204

    async def body() -> None:
        rec1 = Recorder(hanging)
        runner1, url1 = await _serve(rec1)
        log = QueueLog(tmp_path / "q")
        cfg = _config(url1, max_samples_per_send=10, max_shards=4, min_shards=4)
        m1 = QueueManager(log, cfg, tmp_path / "pos")
        task = asyncio.create_task(m1.run())
        sent = _write(log, 0, 200, series=40)
        await _until(lambda: rec1.requests >= 4, "requests in flight")
        await asyncio.sleep(0.2)  # let the other shards get acknowledged
        acked_before_crash = list(rec1.samples)
        assert 0 < len(acked_before_crash) < len(sent)
        task.cancel()  # the crash: no flush, no final position write
        await asyncio.gather(task, return_exceptions=True)
        log.close()
        await m1.close()
        hang.set()
        await runner1.cleanup()

        rec2 = Recorder()
        runner2, url2 = await _serve(rec2)
        log2 = QueueLog(tmp_path / "q")
        more = _write(log2, 200, 30, series=40)
        m2 = QueueManager(log2, _config(url2, max_samples_per_send=10, max_shards=4,
                                        min_shards=4), tmp_path / "pos")  # fmt: skip
        task2 = asyncio.create_task(m2.run())
        await _until(lambda: len(acked_before_crash) + len(rec2.samples) >= len(sent + more),
                     "the rest")  # fmt: skip
        await _stop(m2, task2)
        delivered = Counter(acked_before_crash) + Counter(rec2.samples)
        assert delivered == Counter(sent + more)  # every sample exactly once
        log2.close()
        await runner2.cleanup()

    asyncio.run(body())
