"""Remote write as the server uses it: an ``Appendable`` that queues, plus senders.

``RemoteWriteStorage(directory, configs)`` owns the ``QueueLog`` in
``directory/queue`` and one ``QueueManager`` per ``remote_write`` config
(positions in ``directory/positions``). The composition root fans commits out
to it next to the TSDB (``FanoutAppendable(tsdb, remote)``), then
``await remote.start()``; ``await remote.stop()`` sends what is committed (up
to ``flush_timeout_s``) and stops. Segments every queue has passed are
deleted after each round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

from lab.clock import Clock
from lab.model.labels import Labels
from lab.server.remote.config import RemoteWriteConfig
from lab.server.remote.queue_log import DEFAULT_SEGMENT_BYTES, QueueLog, QueueLogAppender
from lab.server.remote.sender import QueueManager
from lab.server.storage.interface import Appendable, Appender

log = logging.getLogger(__name__)


class RemoteWriteStorage:
    def __init__(
        self,
        directory: Path,
        configs: Sequence[RemoteWriteConfig],
        *,
        external_labels: Labels | None = None,
        clock: Clock | None = None,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
    ) -> None:
        self.log = QueueLog(directory / "queue", segment_bytes)
        self.managers = [
            QueueManager(self.log, c, directory / "positions",
                         external_labels=external_labels, clock=clock)
            for c in configs
        ]  # fmt: skip
        self._tasks: list[asyncio.Task[None]] = []
        self._gc: asyncio.Task[None] | None = None

    def appender(self) -> QueueLogAppender:
        return self.log.appender()

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(m.run()) for m in self.managers]
        self._gc = asyncio.create_task(self._truncate_loop())

    def truncate(self) -> None:
        """Delete the segments every queue has sent past."""
        if self.managers:
            self.log.truncate_before(min(m.state.position.segment for m in self.managers))

    async def _truncate_loop(self) -> None:
        while True:
            await asyncio.sleep(5.0)
            await asyncio.to_thread(self.truncate)

    async def stop(self, flush_timeout_s: float = 10.0) -> None:
        for m in self.managers:
            m.stop()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=flush_timeout_s)
            for t in pending:
                t.cancel()
            results = await asyncio.gather(*self._tasks, return_exceptions=True)
            for r in results:
                if isinstance(r, Exception):
                    log.error("remote write queue ended with %s", r)
        if self._gc is not None:
            self._gc.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._gc
        for m in self.managers:
            await m.close()
        self.truncate()
        self.log.close()


class FanoutAppendable:
    """Commits go to every ``Appendable``: the primary first, then the others.

    A failure in the primary (the TSDB: out of order ...) rolls everything
    back; the secondaries (remote-write queues) only see what the primary
    accepted, so a refused sample is never sent.
    """

    def __init__(self, primary: Appendable, *secondaries: Appendable) -> None:
        self.primary = primary
        self.secondaries = secondaries

    def appender(self) -> FanoutAppender:
        return FanoutAppender(self.primary.appender(), [s.appender() for s in self.secondaries])


class FanoutAppender:
    def __init__(self, primary: Appender, secondaries: list[Appender]) -> None:
        self._primary = primary
        self._secondaries = secondaries

    def append(self, labels: Labels, t_ms: int, value: float) -> None:
        self._primary.append(labels, t_ms, value)
        for s in self._secondaries:
            s.append(labels, t_ms, value)

    def commit(self) -> None:
        try:
            self._primary.commit()
        except BaseException:
            for s in self._secondaries:
                s.rollback()
            raise
        for s in self._secondaries:
            s.commit()

    def rollback(self) -> None:
        self._primary.rollback()
        for s in self._secondaries:
            s.rollback()
