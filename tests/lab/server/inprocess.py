"""Run a ``PromlabServer`` in-process, on its own event loop in a thread.

``running_server(server)`` starts it (bounded), re-raises a start-up error in
the test, and stops it afterwards, also when the test failed or already
stopped it through ``/-/quit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from lab.server.app import PromlabServer
from tests.lab.server.api.serving import Client

JOIN_TIMEOUT_S = 30.0


class Running:
    def __init__(self, server: PromlabServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            await self.server.start()
            self.ready.set()
            await self.server.wait_until_stop_requested()
            await self.server.stop()

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:
            self.error = exc
            self.ready.set()
        finally:
            self.loop.close()

    @property
    def client(self) -> Client:
        return Client(self.server.urls[0])

    def start(self) -> Running:
        """Start the thread; wait (bounded) until serving; re-raise a start-up error."""
        self.thread.start()
        assert self.ready.wait(JOIN_TIMEOUT_S), "server did not start"
        if self.error is not None:
            raise self.error
        return self

    def stop(self) -> None:
        """Ask the server to stop and wait for its thread (no-op once stopped)."""
        if self.thread.is_alive():
            # The loop may close between the check and the call (server quitting).
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.server.request_stop)
            self.thread.join(JOIN_TIMEOUT_S)


@contextlib.contextmanager
def running_server(server: PromlabServer) -> Iterator[Running]:
    running = Running(server).start()
    try:
        yield running
    finally:
        running.stop()
