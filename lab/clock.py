"""Time, injected: every loop in the lab (scrape loops, rule groups, scenarios,
file discovery) asks a ``Clock`` for the time and sleeps through it.

* ``RealClock`` — wall-clock milliseconds and ``asyncio.sleep``.
* ``VirtualClock`` — time moves only when a test (or a scenario runner) calls
  ``advance``/``advance_to``. Sleepers wake in deadline order, each at exactly
  its deadline; after waking a sleeper the clock waits until that task sleeps on
  the clock again (or ends) before moving on, so work triggered at ``t`` — even
  real I/O such as a scrape over loopback — completes "at" ``t``. A task that
  never comes back makes ``advance`` raise ``ClockSettleError`` after
  ``settle_timeout_s`` real seconds instead of hanging.

Usage::

    clock = VirtualClock(start_ms=0)
    task = asyncio.create_task(loop_using(clock))
    await clock.advance(15_000)   # everything due in the next 15 s has run
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol

from lab.model.errors import LabError


class ClockSettleError(LabError, RuntimeError):
    """A task woken by a ``VirtualClock`` did not sleep again or finish in time."""


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch (virtual or real)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; for measuring durations."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, t_ms: int) -> None:
        """Return once ``now_ms() >= t_ms``."""
        ...


class RealClock:
    """The system clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, t_ms: int) -> None:
        # Sleep in one go, then re-check: the wall clock may have been stepped.
        while (delta := t_ms - self.now_ms()) > 0:
            await asyncio.sleep(delta / 1000)


class VirtualClock:
    """A clock that tests advance; see the module docstring."""

    def __init__(self, start_ms: int = 0, *, settle_timeout_s: float = 30.0) -> None:
        self._now = start_ms
        self._settle_timeout_s = settle_timeout_s
        self._seq = itertools.count()
        # (deadline, seq, future, task)
        self._sleepers: list[
            tuple[int, int, asyncio.Future[None], asyncio.Task[object] | None]
        ] = []
        self._busy: set[asyncio.Task[object]] = set()

    def now_ms(self) -> int:
        return self._now

    def monotonic(self) -> float:
        return self._now / 1000

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + round(seconds * 1000))

    async def sleep_until(self, t_ms: int) -> None:
        task: asyncio.Task[object] | None = asyncio.current_task()
        if task is not None:
            self._busy.discard(task)
        if t_ms <= self._now:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (t_ms, next(self._seq), fut, task))
        try:
            await fut
        finally:
            if not fut.done():
                fut.cancel()

    def pending(self) -> int:
        """How many sleepers wait on this clock (cancelled ones excluded)."""
        return sum(1 for _, _, fut, _ in self._sleepers if not fut.done())

    def next_deadline(self) -> int | None:
        self._drop_cancelled()
        return self._sleepers[0][0] if self._sleepers else None

    async def advance(self, ms: int) -> None:
        await self.advance_to(self._now + ms)

    async def advance_to(self, t_ms: int) -> None:
        """Move time to ``t_ms``, running every sleeper due on the way."""
        await self.settle()
        while True:
            self._drop_cancelled()
            if not self._sleepers or self._sleepers[0][0] > t_ms:
                break
            deadline = self._sleepers[0][0]
            self._now = max(self._now, deadline)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, fut, task = heapq.heappop(self._sleepers)
                if fut.done():
                    continue
                fut.set_result(None)
                if task is not None and not task.done():
                    self._busy.add(task)
                    task.add_done_callback(self._busy.discard)
            await self.settle()
        self._now = max(self._now, t_ms)
        await self.settle()

    async def settle(self) -> None:
        """Let ready tasks run; wait (in real time, bounded) for woken tasks to
        sleep on the clock again or finish."""
        for _ in range(20):
            await asyncio.sleep(0)
        deadline = time.monotonic() + self._settle_timeout_s
        while self._busy:
            if time.monotonic() > deadline:
                names = ", ".join(sorted(t.get_name() for t in self._busy))
                raise ClockSettleError(
                    f"tasks still busy {self._settle_timeout_s}s after being woken: {names}"
                )
            await asyncio.sleep(0.001)
        for _ in range(5):
            await asyncio.sleep(0)

    def _drop_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
