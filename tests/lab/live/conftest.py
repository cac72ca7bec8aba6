"""Shared helpers for the live-lab tests: a clock whose sleeps pass at once,
and the demo app served on a loopback port from a background thread."""

from __future__ import annotations

import asyncio
import random
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from exporters.common.web import WebConfig
from lab.clock import RealClock
from lab.live.demo_app import DemoApp

REPO = Path(__file__).resolve().parents[3]
#: ``promlab`` as a subprocess, without needing the console script installed.
PROMLAB = [sys.executable, "-m", "lab"]
#: Hang guard for subprocesses that stop by themselves much sooner.
PROCESS_TIMEOUT_S = 60


class SteppingClock:
    """``sleep`` returns at once and moves ``monotonic`` by that much, so the
    demo app's measured durations are exactly its chosen latencies."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now_ms(self) -> int:
        return round(self.t * 1000)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)

    async def sleep_until(self, t_ms: int) -> None:
        self.t = max(self.t, t_ms / 1000)
        await asyncio.sleep(0)


@dataclass
class Served:
    url: str
    demo: DemoApp


@pytest.fixture
def demo_server() -> Iterator[Served]:
    """The demo app (real clock, seeded) on 127.0.0.1:<free port>."""
    demo = DemoApp(RealClock(), CollectorRegistry(), rng=random.Random(7))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, object] = {}

    async def start() -> None:
        runner = web.AppRunner(demo.app(WebConfig()), access_log=None)
        await runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        state["port"] = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        state["runner"] = runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        finally:
            ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="demo-app", daemon=True)
    thread.start()
    assert ready.wait(30), "demo app did not start"
    try:
        yield Served(f"http://127.0.0.1:{state['port']}", demo)
    finally:
        runner = state["runner"]
        assert isinstance(runner, web.AppRunner)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
