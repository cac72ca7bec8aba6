"""Connection threads: reused when idle, never a bounded pool (a held
connection does not hold up the next one), ended by close()."""

from __future__ import annotations

import threading
import time
from typing import Any

from exporters.common.web.workers import Workers


class Recorder:
    def __init__(self) -> None:
        self.threads: list[int] = []
        self.done = threading.Semaphore(0)
        self.hold = threading.Event()
        self.hold.set()

    def serve(self, request: Any, address: Any) -> None:
        self.threads.append(threading.get_ident())
        assert self.hold.wait(20)
        self.done.release()


def wait_idle(workers: Workers, n: int) -> None:
    deadline = time.monotonic() + 20
    while workers.idle != n:
        assert time.monotonic() < deadline, f"{workers.idle} idle threads, expected {n}"
        time.sleep(0.005)


def test_an_idle_thread_takes_the_next_connection() -> None:
    rec = Recorder()
    workers = Workers(rec.serve)
    for i in range(5):
        workers.submit(i, None)
        assert rec.done.acquire(timeout=20)
        wait_idle(workers, 1)
    assert len(set(rec.threads)) == 1
    workers.close()
    assert workers.idle == 0


def test_a_held_connection_does_not_hold_up_another() -> None:
    rec = Recorder()
    workers = Workers(rec.serve, max_idle=1)
    rec.hold.clear()
    workers.submit("slow", None)
    workers.submit("next", None)
    rec.hold.set()
    for _ in range(2):
        assert rec.done.acquire(timeout=20)
    assert len(set(rec.threads)) == 2
    workers.close()


def test_close_ends_the_waiting_threads() -> None:
    rec = Recorder()
    workers = Workers(rec.serve, name="test-close-workers")
    for i in range(3):
        workers.submit(i, None)
    for _ in range(3):
        assert rec.done.acquire(timeout=20)
    ours = [t for t in threading.enumerate() if t.name == "test-close-workers"]
    assert ours
    workers.close()
    for thread in ours:
        thread.join(timeout=20)
        assert not thread.is_alive()
