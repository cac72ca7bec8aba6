"""Running the simulated API server: ``serve`` on the caller's event loop (the
CLI), or ``ClusterServer`` on a private loop in a background thread (tests,
benchmarks, scenarios that drive the store synchronously)."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from aiohttp import web

from .api import make_app
from .store import Store

#: graceful-shutdown budget: watches are closed on shutdown, so this is short
SHUTDOWN_TIMEOUT = 2.0


async def start(
    store: Store, host: str, port: int, *, bookmark_interval: float = 60.0
) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (``await runner.cleanup()`` to stop) and the port."""
    runner = web.AppRunner(
        make_app(store, bookmark_interval=bookmark_interval),
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = int(runner.addresses[0][1]) if runner.addresses else port
    return runner, bound


class ClusterServer:
    """The API server on a background thread: ``with ClusterServer(store) as srv: srv.url``."""

    def __init__(
        self,
        store: Store,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bookmark_interval: float = 60.0,
    ) -> None:
        self.store = store
        self.host = host
        self.port = port
        self._bookmark_interval = bookmark_interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name="cluster-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the simulated API server did not start in time")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._runner, self.port = loop.run_until_complete(
                start(self.store, self.host, self.port, bookmark_interval=self._bookmark_interval)
            )
        except BaseException as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)

    def __enter__(self) -> ClusterServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
