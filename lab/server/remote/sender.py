"""The remote-write sender: one ``QueueManager`` per ``remote_write`` endpoint.

It tails the durable ``QueueLog`` and sends what was committed, in **rounds**:

1. read up to ``max_shards * capacity`` samples from the log (waiting up to
   ``batch_send_deadline`` for a full request of ``max_samples_per_send``);
2. add the external labels, apply ``write_relabel_configs`` (a dropped series
   is not sent);
3. split the samples over ``n = clamp(ceil(samples / max_samples_per_send),
   min_shards, max_shards)`` shards by a stable hash of the labels (a series
   always lands in one shard, so its samples stay in order), and each shard
   into requests of at most ``max_samples_per_send``;
4. send the shards concurrently, each shard's requests in order. 5xx, 429
   (with ``retry_on_http_429``) and network errors are retried with
   exponential backoff from ``min_backoff`` to ``max_backoff``, forever (as
   upstream); another 4xx drops that request (counted in ``stats``).

**Durability.** After every acknowledged (or dropped) request the manager
fsyncs its position file, ``<state_dir>/<queue name>.json``: the round's start
and end in the log, its shard count and request size, and which requests
are done. A restart re-reads the unfinished round from the log, rebuilds the
same requests and sends only those not yet done; when the round completes,
the position moves to its end. So a restart loses nothing that was not
acknowledged and resends nothing that was — except the one window no
protocol can close: a crash after the receiver answered but before the
position file was synced resends that request (at-least-once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lab.clock import Clock, RealClock
from lab.model.labels import Labels
from lab.server.remote.client import WriteClient
from lab.server.remote.codec import SeriesData, encode_write_request
from lab.server.remote.config import RemoteWriteConfig
from lab.server.remote.errors import (
    QueueLogError,
    RecoverableSendError,
    UnrecoverableSendError,
)
from lab.server.remote.queue_log import Entry, LogTail, Position, QueueLog
from lab.server.scrape.relabel import process
from lab.server.tsdb.fileutil import rename_durably, write_durably

log = logging.getLogger(__name__)

#: How long an idle sender sleeps between looks at the log when no commit
#: wakes it (commits normally wake it at once).
IDLE_POLL_S = 1.0


@dataclass
class SenderStats:
    samples_sent: int = 0
    samples_dropped: int = 0  # refused by the receiver (4xx)
    samples_relabel_dropped: int = 0
    requests_sent: int = 0
    requests_retried: int = 0
    requests_failed: int = 0


@dataclass
class _Round:
    start: Position
    end: Position
    shards: int
    per_send: int
    done: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class _State:
    position: Position
    round: _Round | None = None

    def to_json(self) -> bytes:
        r = self.round
        return json.dumps({
            "position": [self.position.segment, self.position.offset],
            "round": None if r is None else {
                "start": [r.start.segment, r.start.offset],
                "end": [r.end.segment, r.end.offset],
                "shards": r.shards, "per_send": r.per_send, "done": sorted(r.done),
            },
        }).encode()  # fmt: skip

    @classmethod
    def from_json(cls, data: bytes) -> _State:
        d = json.loads(data)
        r = d.get("round")
        return cls(
            Position(*d["position"]),
            None if r is None else _Round(
                Position(*r["start"]), Position(*r["end"]), int(r["shards"]),
                int(r["per_send"]), {(int(a), int(b)) for a, b in r["done"]},
            ),
        )  # fmt: skip


def shard_of(labels: Labels, shards: int) -> int:
    """A stable (cross-process) shard for a series; Python's ``hash`` is salted."""
    return zlib.crc32("\xff".join(f"{n}\xfe{v}" for n, v in labels).encode()) % shards


class QueueManager:
    """Sends one endpoint's share of the ``QueueLog``; ``run()`` until ``stop()``."""

    def __init__(
        self,
        queue_log: QueueLog,
        config: RemoteWriteConfig,
        state_dir: Path,
        *,
        external_labels: Labels | None = None,
        clock: Clock | None = None,
        client: WriteClient | None = None,
    ) -> None:
        self.log = queue_log
        self.config = config
        self.q = config.queue_config
        self.state_path = state_dir / f"{config.queue_name}.json"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.external = external_labels or Labels()
        self.clock: Clock = clock or RealClock()
        self.client = client or WriteClient(config)
        self.stats = SenderStats()
        self.state = self._load_state()
        self._relabel_cache: dict[Labels, Labels | None] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._save_lock = asyncio.Lock()

    # -- position file ------------------------------------------------------------------

    def _load_state(self) -> _State:
        try:
            return _State.from_json(self.state_path.read_bytes())
        except FileNotFoundError:
            # A new queue sends everything the log still holds (the log is
            # truncated as queues progress, so that is what is not yet sent).
            segs = self.log.segments()
            return _State(Position(segs[0] if segs else 0, 0))
        except (ValueError, KeyError, TypeError) as exc:
            raise QueueLogError(f"position file {self.state_path} is corrupt: {exc}") from None

    def _save_sync(self, data: bytes) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        write_durably(tmp, data)
        rename_durably(tmp, self.state_path)

    async def _save(self) -> None:
        async with self._save_lock:
            await asyncio.to_thread(self._save_sync, self.state.to_json())

    # -- running ------------------------------------------------------------------------

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Send until ``stop()``; an unfinished round from a previous run goes first."""
        self._loop = asyncio.get_running_loop()
        self.log.add_listener(self._notify)
        try:
            tail = LogTail(self.log.directory, self.state.position)
            if self.state.round is not None:
                r = self.state.round
                entries = tail.read(r.end, max_samples=1 << 62)
                await self._send_round(entries, r)
            while True:
                start = tail.position
                entries = await self._collect(tail)
                if not entries:
                    if self._stopping:
                        return
                    continue
                n = sum(len(e.labels) for e in entries)
                shards = min(max(math.ceil(n / self.q.max_samples_per_send),
                                 self.q.min_shards), self.q.max_shards)  # fmt: skip
                r = _Round(start, tail.position, shards, self.q.max_samples_per_send)
                await self._send_round(entries, r)
        finally:
            self.log.remove_listener(self._notify)

    async def _collect(self, tail: LogTail) -> list[Entry]:
        budget = self.q.max_shards * max(self.q.capacity, self.q.max_samples_per_send)
        entries: list[Entry] = []
        n = 0
        deadline: float | None = None
        while True:
            self._wake.clear()
            got = tail.read(self.log.end, budget - n)
            entries += got
            n += sum(len(e.labels) for e in got)
            if n >= min(self.q.max_samples_per_send, budget) or (n and self._stopping):
                return entries
            now = self.clock.monotonic()
            if n and deadline is None:
                deadline = now + self.q.batch_send_deadline_ms / 1000
            if deadline is not None and now >= deadline:
                return entries
            if self._stopping:
                return entries
            wait = IDLE_POLL_S if deadline is None else min(deadline - now, IDLE_POLL_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.001))

    def _relabel(self, labels: Labels) -> Labels | None:
        try:
            return self._relabel_cache[labels]
        except KeyError:
            pass
        out: Labels | None = labels
        if self.external:
            missing = {k: v for k, v in self.external if not labels.has(k)}
            if missing:
                out = Labels.of({**labels.to_dict(), **missing})
        if out is not None and self.config.write_relabel_configs:
            out = process(out, self.config.write_relabel_configs)
        if len(self._relabel_cache) > 100_000:
            self._relabel_cache.clear()
        self._relabel_cache[labels] = out
        return out

    def _requests(self, entries: Sequence[Entry], r: _Round) -> list[list[list[SeriesData]]]:
        """shard -> request -> series, deterministic for the same entries and round."""
        per_shard: list[list[tuple[Labels, int, float]]] = [[] for _ in range(r.shards)]
        for e in entries:
            for lset, t, v in zip(e.labels, e.timestamps.tolist(), e.values.tolist(),
                                  strict=True):  # fmt: skip
                out = self._relabel(lset)
                if out is None:
                    self.stats.samples_relabel_dropped += 1
                    continue
                per_shard[shard_of(out, r.shards)].append((out, t, v))
        plan: list[list[list[SeriesData]]] = []
        for samples in per_shard:
            reqs = []
            for i in range(0, len(samples), r.per_send):
                grouped: dict[Labels, tuple[list[int], list[float]]] = {}
                for lset, t, v in samples[i : i + r.per_send]:
                    ts, vs = grouped.setdefault(lset, ([], []))
                    ts.append(t)
                    vs.append(v)
                reqs.append([SeriesData(lset, np.array(ts, dtype=np.int64),
                                        np.array(vs, dtype=np.float64))
                             for lset, (ts, vs) in grouped.items()])  # fmt: skip
            plan.append(reqs)
        return plan

    async def _send_round(self, entries: Sequence[Entry], r: _Round) -> None:
        plan = self._requests(entries, r)
        total = sum(len(reqs) for reqs in plan)
        if len(r.done) >= total:
            self.state = _State(r.end)
            await self._save()
            return
        self.state = _State(r.start, r)
        await asyncio.gather(*(self._send_shard(i, reqs, r, total)
                               for i, reqs in enumerate(plan)))  # fmt: skip

    async def _send_shard(
        self, shard: int, reqs: list[list[SeriesData]], r: _Round, total: int
    ) -> None:
        for i, series in enumerate(reqs):
            if (shard, i) in r.done:
                continue
            await self._send_with_retry(series)
            r.done.add((shard, i))
            if len(r.done) >= total:
                self.state = _State(r.end)
            await self._save()

    async def _send_with_retry(self, series: list[SeriesData]) -> None:
        n = sum(s.timestamps.size for s in series)
        body = encode_write_request(series)
        backoff = self.q.min_backoff_ms / 1000
        while True:
            try:
                await self.client.store(body)
            except RecoverableSendError as exc:
                self.stats.requests_retried += 1
                wait = exc.retry_after_s if exc.retry_after_s is not None else backoff
                log.warning("remote write to %s failed, retrying in %.3fs: %s",
                            self.config.url, wait, exc)  # fmt: skip
                await self.clock.sleep(wait)
                backoff = min(backoff * 2, self.q.max_backoff_ms / 1000)
                continue
            except UnrecoverableSendError as exc:
                self.stats.requests_failed += 1
                self.stats.samples_dropped += n
                log.error("remote write to %s dropped %d samples: %s", self.config.url, n, exc)
                return
            self.stats.requests_sent += 1
            self.stats.samples_sent += n
            return

    def stop(self) -> None:
        """Ask ``run()`` to send what is already committed and return."""
        self._stopping = True
        self._notify()

    async def close(self) -> None:
        await self.client.close()
