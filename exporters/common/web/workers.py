"""Connection threads for the stdlib adapter, reused.

``ThreadingMixIn`` starts a thread per connection. Scrapers that reconnect
for every scrape (curl, the bench, Prometheus once keep-alive lapses) would
pay a thread start each time; here a thread that finished its connection
waits for the next one instead (up to ``max_idle`` of them wait). It is still
one thread per open connection, never a bounded pool: a slow or idle
keep-alive client cannot hold up another scrape.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Final

#: Threads kept waiting for a connection (each a few hundred KB).
MAX_IDLE: Final = 4

Job = tuple[Any, Any]


class Workers:
    """``submit(request, address)`` runs ``serve(request, address)`` on an idle
    thread, or on a new daemon thread when none is idle.

    Invariant (under ``_lock``): threads waiting for a job == ``_idle`` + jobs
    queued, so a job never waits for a busy thread.
    """

    def __init__(
        self,
        serve: Callable[[Any, Any], None],
        *,
        max_idle: int = MAX_IDLE,
        name: str = "http-conn",
    ) -> None:
        self._serve = serve
        self._name = name
        self._max_idle = max_idle
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._closed = False

    def submit(self, request: Any, address: Any) -> None:
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        self._jobs.put((request, address))
        if spawn:
            threading.Thread(target=self._run, name=self._name, daemon=True).start()

    @property
    def idle(self) -> int:
        """Threads waiting for a connection."""
        with self._lock:
            return self._idle

    def close(self) -> None:
        """Let the waiting threads end (busy ones end after their connection)."""
        with self._lock:
            self._closed = True
            waiting, self._idle = self._idle, 0
        for _ in range(waiting):
            self._jobs.put(None)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._serve(*job)
            with self._lock:
                if self._closed or self._idle >= self._max_idle:
                    return
                self._idle += 1
