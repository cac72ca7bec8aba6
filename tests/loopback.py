"""Serve aiohttp apps on loopback ports from one background event loop.

Tests that need real HTTP peers (fixture targets, fake receivers) but run
synchronous code around them use this: start and stop are bounded, so a
broken app fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Sequence

from aiohttp import web

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


@contextlib.contextmanager
def serve_apps(
    apps: Sequence[web.Application], start_timeout_s: float = START_TIMEOUT_S
) -> Iterator[list[str]]:
    """Run each app on 127.0.0.1:<free port>; yields their ``host:port`` addresses."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    addresses: list[str] = []
    runners: list[web.AppRunner] = []

    async def start() -> None:
        for app in apps:
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            runners.append(runner)
            addresses.append(f"127.0.0.1:{runner.addresses[0][1]}")

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(start_timeout_s), "loopback servers did not start"
    try:
        yield addresses
    finally:

        async def cleanup() -> None:
            for runner in runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), loop).result(timeout=STOP_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STOP_TIMEOUT_S)
        loop.close()


@contextlib.contextmanager
def serve(app: web.Application) -> Iterator[str]:
    """Run one app on 127.0.0.1:<free port>; yields its base URL."""
    with serve_apps([app]) as (address,):
        yield f"http://{address}"
