"""The scrape manager: one scrape pool per job, one loop per target.

API (what the composition root and the HTTP API use)::

    manager = ScrapeManager(appendable, clock, scraper_factory=http_scraper_factory)
    await manager.apply_config(cfg)   # a lab.server.config.Config; call again to reload
    ...
    manager.targets()                 # TargetsSnapshot for /api/v1/targets
    await manager.stop()              # shutdown: loops end, no staleness markers

* ``appendable``: a ``lab.server.storage.interface.Appendable``; every scrape
  uses one ``Appender`` (commit on success, rollback on failure).
* ``clock``: a ``lab.clock.Clock`` (``RealClock()`` in the server,
  ``VirtualClock`` in tests).
* ``scraper_factory``: ``Callable[[ScrapeConfig], Scraper]``, the HTTP part
  behind a one-method interface (``lab.server.scrape.scraper``); tests inject
  canned responses.
* ``discoverer_factories``: optional ``{"kubernetes_sd_configs": factory}`` for
  discovery mechanisms that need an outside system (see ``discovery``).

``apply_config`` keeps the loops of targets whose job config and labels did not
change (their data stays continuous); targets that disappear get staleness
markers just over two intervals later, as upstream. ``run()`` waits until
``stop()`` is called, for callers that want a task to await.

Everything runs on the caller's asyncio event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from lab.clock import Clock
from lab.model.labels import Labels
from lab.server.config import Config, ScrapeConfig
from lab.server.storage.interface import Appendable

from .discovery.base import Discoverer, TargetGroup
from .discovery.file import FileDiscoverer
from .discovery.static import StaticDiscoverer
from .errors import TargetError
from .loop import ScrapeLoop
from .scraper import Closable, Scraper, http_scraper_factory
from .target import SCRAPE_INTERVAL, Target, TargetStatus, populate_labels

log = logging.getLogger(__name__)

ScraperFactory = Callable[[ScrapeConfig], Scraper]
#: Builds the discoverers of one SD kind (e.g. "kubernetes_sd_configs") for a job.
DiscovererFactory = Callable[[ScrapeConfig, Clock], Sequence[Discoverer]]


@dataclass(frozen=True, slots=True)
class TargetsSnapshot:
    """What ``/api/v1/targets`` needs: active targets and dropped ones' discovered labels."""

    active: list[TargetStatus] = field(default_factory=list)
    dropped: list[Labels] = field(default_factory=list)
    dropped_pools: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Running:
    target: Target
    loop: ScrapeLoop
    task: asyncio.Task[None]


class _Pool:
    """One job: its discoverers, the targets they yield, a loop per target."""

    def __init__(self, manager: ScrapeManager, cfg: ScrapeConfig) -> None:
        self.m = manager
        self.cfg = cfg
        self.scraper = manager.scraper_factory(cfg)
        self.groups: dict[tuple[int, str], TargetGroup] = {}
        self.loops: dict[int, _Running] = {}
        self.dropped: list[Labels] = []
        self.disc_tasks: list[asyncio.Task[None]] = []
        self.handover: dict[int, _Running] = {}

    def start(self, discoverers: Sequence[Discoverer]) -> None:
        for i, disc in enumerate(discoverers):
            name = f"discovery:{self.cfg.job_name}:{i}"
            self.disc_tasks.append(asyncio.create_task(self._discover(i, disc), name=name))

    async def _discover(self, index: int, disc: Discoverer) -> None:
        async for update in disc.run():
            for group in update:
                key = (index, group.source)
                if group.targets:
                    self.groups[key] = group
                else:
                    self.groups.pop(key, None)
            await self.sync()

    async def sync(self) -> None:
        targets: dict[int, Target] = {}
        dropped: list[Labels] = []
        for (_, source), group in sorted(self.groups.items()):
            for i, tl in enumerate(group.targets):
                try:
                    labels, discovered = populate_labels(self.cfg, tl, group.labels)
                except TargetError as exc:
                    log.error(
                        "job %s: instance %d in group %s: %s", self.cfg.job_name, i, source, exc
                    )
                    continue
                if labels is None:
                    dropped.append(discovered)
                    continue
                t = Target(self.cfg.job_name, labels, discovered)
                targets.setdefault(t.hash(), t)
        self.dropped = dropped
        for h, t in targets.items():
            if h in self.loops:
                # Same labels: keep the running loop; discovered labels may differ.
                self.loops[h].target.discovered = t.discovered
                continue
            self.loops[h] = self.m._start_loop(self, t, self.handover.pop(h, None))
        stopping = [h for h in self.loops if h not in targets]
        for h in stopping:
            await self.m._stop_loop(self.loops.pop(h), staleness=True)
        for old in list(self.handover.values()):
            await self.m._stop_loop(old, staleness=True)
        self.handover.clear()

    async def stop(self, *, staleness: bool, keep_loops: bool = False) -> dict[int, _Running]:
        for task in self.disc_tasks:
            task.cancel()
        for task in self.disc_tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        loops = {**self.handover, **self.loops}
        self.loops, self.handover = {}, {}
        if not keep_loops:
            for running in loops.values():
                await self.m._stop_loop(running, staleness=staleness)
            loops = {}
        if isinstance(self.scraper, Closable):
            await self.scraper.close()
        return loops


class ScrapeManager:
    """See the module docstring."""

    def __init__(
        self,
        appendable: Appendable,
        clock: Clock,
        scraper_factory: ScraperFactory = http_scraper_factory,
        *,
        discoverer_factories: Mapping[str, DiscovererFactory] | None = None,
        offset_seed: int = 0,
        file_watch_interval_ms: int = 1000,
        on_interval: Callable[[str, float], None] | None = None,
    ) -> None:
        self.appendable = appendable
        #: (configured interval as written, actual seconds between two scrapes)
        self.on_interval = on_interval
        self.clock = clock
        self.scraper_factory = scraper_factory
        self.discoverer_factories = dict(discoverer_factories or {})
        self.offset_seed = offset_seed
        self.file_watch_interval_ms = file_watch_interval_ms
        self._pools: dict[str, _Pool] = {}
        self._stale_tasks: dict[int, asyncio.Task[None]] = {}
        self._stopped = asyncio.Event()
        self._lock = asyncio.Lock()

    # -- public ----------------------------------------------------------------

    async def apply_config(self, cfg: Config) -> None:
        """Start, keep, restart or stop scrape pools to match ``cfg``."""
        async with self._lock:
            wanted = {c.job_name: c for c in cfg.scrape_configs}
            for job in [j for j in self._pools if j not in wanted]:
                await self._pools.pop(job).stop(staleness=True)
            for job, scfg in wanted.items():
                old = self._pools.get(job)
                if old is not None and old.cfg == scfg:
                    continue
                pool = _Pool(self, scfg)
                if old is not None:
                    # Loops of the old config are handed over: a target that is
                    # still there continues without staleness markers.
                    pool.handover = await old.stop(staleness=False, keep_loops=True)
                self._pools[job] = pool
                pool.start(self._discoverers(scfg))

    async def run(self) -> None:
        """Wait until ``stop()``."""
        await self._stopped.wait()

    async def stop(self) -> None:
        """Shut down: stop every loop and discoverer; no staleness markers (as upstream)."""
        async with self._lock:
            for pool in self._pools.values():
                await pool.stop(staleness=False)
            self._pools.clear()
            for task in self._stale_tasks.values():
                task.cancel()
            for task in list(self._stale_tasks.values()):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._stale_tasks.clear()
            self._stopped.set()

    def targets(self) -> TargetsSnapshot:
        snap = TargetsSnapshot()
        for job, pool in sorted(self._pools.items()):
            snap.active.extend(
                r.target.status(pool.cfg.params)
                for r in sorted(pool.loops.values(), key=lambda r: r.target.labels)
            )
            snap.dropped.extend(pool.dropped)
            snap.dropped_pools.extend(job for _ in pool.dropped)
        return snap

    def loops(self) -> list[ScrapeLoop]:
        """Every running loop (for tests and debugging)."""
        return [r.loop for p in self._pools.values() for r in p.loops.values()]

    # -- internals -------------------------------------------------------------

    def _discoverers(self, cfg: ScrapeConfig) -> list[Discoverer]:
        out: list[Discoverer] = []
        if cfg.static_configs:
            out.append(StaticDiscoverer(cfg.static_configs))
        out.extend(
            FileDiscoverer(c, self.clock, watch_interval_ms=self.file_watch_interval_ms)
            for c in cfg.file_sd_configs
        )
        if cfg.kubernetes_sd_configs:
            factory = self.discoverer_factories.get("kubernetes_sd_configs")
            if factory is None:
                log.error(
                    "job %s: kubernetes_sd_configs needs a Kubernetes API; none is configured",
                    cfg.job_name,
                )
            else:
                out.extend(factory(cfg, self.clock))
        return out

    def _start_loop(self, pool: _Pool, target: Target, previous: _Running | None) -> _Running:
        h = target.hash()
        stale = self._stale_tasks.pop(h, None)
        if stale is not None:
            stale.cancel()  # the target is back: no end-of-run markers
        loop = ScrapeLoop(
            target,
            pool.cfg,
            pool.scraper,
            self.appendable,
            self.clock,
            offset_seed=self.offset_seed,
            on_interval=self._interval_observer(target),
        )
        if previous is not None:
            previous.task.cancel()
            loop.adopt(previous.loop)
        name = f"scrape:{pool.cfg.job_name}:{target.labels.get('instance')}"
        return _Running(target, loop, asyncio.create_task(loop.run(), name=name))

    def _interval_observer(self, target: Target) -> Callable[[float], None] | None:
        observe = self.on_interval
        if observe is None:
            return None
        interval = target.labels.get(SCRAPE_INTERVAL)
        return lambda seconds: observe(interval, seconds)

    async def _stop_loop(self, running: _Running, *, staleness: bool) -> None:
        running.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running.task
        if staleness and running.loop.last_scrape_ms is not None:
            h = running.target.hash()
            name = f"staleness:{running.target.labels.get('instance')}"
            task = asyncio.create_task(self._end_of_run(h, running.loop), name=name)
            self._stale_tasks[h] = task

    async def _end_of_run(self, h: int, loop: ScrapeLoop) -> None:
        # As upstream: wait for the next tick (its time is the markers' time), the
        # one after, and 10% of an interval more, in case the target comes back.
        interval = loop.target.interval_ms
        t1 = loop.next_tick_after(self.clock.now_ms())
        await self.clock.sleep_until(t1 + interval + interval // 10)
        if self._stale_tasks.get(h) is asyncio.current_task():
            del self._stale_tasks[h]
        loop.end_of_run_staleness(t1)
