"""VirtualClock: sleepers wake in deadline order at their deadline; advance waits
for woken tasks to sleep again; a task that never does is reported, not hung."""

from __future__ import annotations

import asyncio

import pytest

from lab.clock import ClockSettleError, RealClock, VirtualClock


def test_sleepers_wake_in_order_at_their_deadlines() -> None:
    async def body() -> list[tuple[str, int]]:
        clock = VirtualClock(1000)
        seen: list[tuple[str, int]] = []

        async def ticker(name: str, every: int) -> None:
            while True:
                await clock.sleep(every / 1000)
                seen.append((name, clock.now_ms()))

        tasks = [asyncio.create_task(ticker("a", 300)), asyncio.create_task(ticker("b", 500))]
        await clock.advance(1000)
        assert clock.now_ms() == 2000
        for t in tasks:
            t.cancel()
        return seen

    seen = asyncio.run(body())
    assert seen == [("a", 1300), ("b", 1500), ("a", 1600), ("a", 1900), ("b", 2000)]


def test_advance_waits_for_real_io_started_by_a_woken_task() -> None:
    async def body() -> list[int]:
        clock = VirtualClock(0)
        done: list[int] = []

        async def worker() -> None:
            await clock.sleep_until(10)
            await asyncio.sleep(0.01)  # stands for a network round trip
            done.append(clock.now_ms())
            await clock.sleep_until(10_000)

        task = asyncio.create_task(worker())
        await clock.advance(20)
        task.cancel()
        return done

    assert asyncio.run(body()) == [10]


def test_a_task_that_never_sleeps_again_is_an_error() -> None:
    async def body() -> None:
        clock = VirtualClock(0, settle_timeout_s=0.05)

        async def stuck() -> None:
            await clock.sleep_until(5)
            await asyncio.Event().wait()

        task = asyncio.create_task(stuck(), name="stuck")
        try:
            with pytest.raises(ClockSettleError, match="stuck"):
                await clock.advance(10)
        finally:
            task.cancel()

    asyncio.run(body())


def test_real_clock_sleep_until_the_past_returns() -> None:
    async def body() -> None:
        clock = RealClock()
        await clock.sleep_until(clock.now_ms() - 1000)

    asyncio.run(body())
