"""``promlab stress cpu|memory``: bounded host stressors for live incidents.

Each stressor runs its load in child processes (``python -m lab.live.burn``)
so that cleanup never depends on Python freeing memory: a child's exit gives
everything back. Three independent stops keep a stressor bounded:

1. every child stops itself at its own deadline;
2. the parent waits at most ``duration + GRACE_S`` and then kills leftovers,
   and kills them at once on Ctrl-C / SIGTERM (``Stressor.stop``);
3. children ask the kernel for SIGKILL when their parent dies
   (``PR_SET_PDEATHSIG``), so even ``kill -9`` of the parent cleans up.

Requests beyond the host are refused with ``StressLimitError`` before anything
starts: more cores than this process may run on, more memory than is
available minus ``memory_margin`` (10 % of RAM, at least 256 MiB), durations
that are not in ``(0, MAX_DURATION_S]``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Final

import psutil

from .errors import StressLimitError

MAX_DURATION_S: Final = 6 * 3600.0
MIN_MARGIN_BYTES: Final = 256 << 20
#: Seconds past the deadline before the parent stops waiting for a child.
GRACE_S: Final = 2.0
#: Seconds a terminated child gets before SIGKILL.
KILL_AFTER_S: Final = 2.0

_UNITS: Final = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "kib": 1 << 10,
    "m": 1000**2, "mb": 1000**2, "mib": 1 << 20,
    "g": 1000**3, "gb": 1000**3, "gib": 1 << 30,
    "t": 1000**4, "tb": 1000**4, "tib": 1 << 40,
}  # fmt: skip
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_bytes(text: str) -> int:
    """``"64MiB"`` -> 67108864; SI (kB, MB, GB) and IEC (KiB, MiB, GiB) units."""
    m = _SIZE.fullmatch(text)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS:
        raise StressLimitError(f"invalid size {text!r} (expected e.g. 64MiB, 512MB, 1GiB)")
    return int(float(m.group(1)) * _UNITS[unit])


@dataclass(frozen=True)
class HostLimits:
    cores: int
    available_bytes: int
    total_bytes: int

    @classmethod
    def current(cls) -> HostLimits:
        memory = psutil.virtual_memory()
        # The cores this process may run on, not the machine's (cgroups, taskset).
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        return cls(cores or os.cpu_count() or 1, memory.available, memory.total)

    @property
    def memory_margin(self) -> int:
        return max(MIN_MARGIN_BYTES, self.total_bytes // 10)


def check_duration(duration_s: float) -> None:
    if not 0 < duration_s <= MAX_DURATION_S:
        raise StressLimitError(
            f"--duration must be in (0, {MAX_DURATION_S:g}] seconds, got {duration_s:g}"
        )


def check_cpu(cores: int, duration_s: float, limits: HostLimits) -> None:
    check_duration(duration_s)
    if not 1 <= cores <= limits.cores:
        raise StressLimitError(
            f"--cores must be between 1 and {limits.cores} (the cores available here), got {cores}"
        )


def check_memory(size: int, duration_s: float, limits: HostLimits) -> None:
    check_duration(duration_s)
    allowed = limits.available_bytes - limits.memory_margin
    if size <= 0:
        raise StressLimitError(f"--bytes must be > 0, got {size}")
    if size > allowed:
        raise StressLimitError(
            f"--bytes {size} exceeds what can be taken safely: {max(0, allowed)} bytes "
            f"({limits.available_bytes} available minus a {limits.memory_margin}-byte margin)"
        )


class Stressor:
    """Children running ``lab.live.burn``; ``start()``, ``wait()``, ``stop()``.

    ``with Stressor(...) as s:`` stops (and reaps) every child on the way out,
    whatever happened inside."""

    def __init__(self, argvs: Sequence[Sequence[str]], duration_s: float) -> None:
        self.argvs = [list(a) for a in argvs]
        self.duration_s = duration_s
        self.children: list[subprocess.Popen[bytes]] = []

    @classmethod
    def cpu(cls, cores: int, duration_s: float, limits: HostLimits | None = None) -> Stressor:
        check_cpu(cores, duration_s, limits or HostLimits.current())
        return cls([["cpu", repr(duration_s)]] * cores, duration_s)

    @classmethod
    def memory(cls, size: int, duration_s: float, limits: HostLimits | None = None) -> Stressor:
        check_memory(size, duration_s, limits or HostLimits.current())
        return cls([["memory", repr(duration_s), str(size)]], duration_s)

    @property
    def pids(self) -> list[int]:
        return [c.pid for c in self.children]

    def start(self) -> None:
        try:
            for argv in self.argvs:
                self.children.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "lab.live.burn", *argv],
                        stdout=subprocess.PIPE,
                        stdin=subprocess.DEVNULL,
                    )
                )
            # Each child prints one line once its load is in place (memory
            # touched); EOF instead means it died, which wait() will see.
            for child in self.children:
                assert child.stdout is not None
                child.stdout.readline()
        except BaseException:
            # Interrupted half-way (Ctrl-C, SIGTERM): no child may outlive us.
            self.stop()
            raise

    def wait(self) -> None:
        """Until every child stopped itself (bounded by duration + GRACE_S)."""
        deadline = time.monotonic() + self.duration_s + GRACE_S
        for child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Terminate, then kill, and reap every child still running."""
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=KILL_AFTER_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()

    def __enter__(self) -> Stressor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Terminated(Exception):
    """SIGTERM arrived; raised in the main thread so cleanup runs."""


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into ``Terminated`` for the duration (main thread only)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(stressor: Stressor, on_started: Callable[[Stressor], None]) -> bool:
    """Blocking: start, wait for the end, always clean up. ``False`` if it was
    interrupted (Ctrl-C or SIGTERM) before the end."""
    try:
        with sigterm_raises(), stressor:
            on_started(stressor)
            stressor.wait()
    except (KeyboardInterrupt, Terminated):
        return False
    return True
