"""The child side of ``stress``: ``python -m lab.live.burn cpu DURATION`` spins
one core, ``... memory DURATION BYTES`` holds that much resident memory.

Each stops by itself at its deadline, or as soon as its parent is gone (the
kernel's PR_SET_PDEATHSIG where available, else a parent-pid check), and
prints one line on stdout once its load is in place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import time
from typing import Final

PR_SET_PDEATHSIG: Final = 1
PAGE: Final = 4096
#: How often a sleeping/spinning child looks at its deadline and parent.
CHECK_EVERY_S: Final = 0.1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL us when the parent exits (best effort elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spin(duration_s: float, parent: int) -> None:
    deadline = time.monotonic() + duration_s
    next_check = 0.0
    x = 0
    while (now := time.monotonic()) < deadline:
        # Pure arithmetic keeps one core at 100 % without touching memory.
        for _ in range(10_000):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        if now >= next_check:
            if os.getppid() != parent:
                return
            next_check = now + CHECK_EVERY_S


def hold(size: int, duration_s: float, parent: int) -> None:
    deadline = time.monotonic() + duration_s
    block = bytearray(size)
    # bytearray(n) may be lazily mapped zero pages: write one byte per page
    # so the memory is really resident.
    block[::PAGE] = b"\x01" * len(range(0, size, PAGE))
    print("ready", flush=True)
    while time.monotonic() < deadline and os.getppid() == parent:
        time.sleep(min(CHECK_EVERY_S, max(0.0, deadline - time.monotonic())))
    del block


def main(argv: list[str]) -> int:
    die_with_parent()
    parent = os.getppid()
    # The parent decides when to stop us early; Ctrl-C on the terminal reaches
    # the whole process group, and the parent handles it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kind, duration = argv[0], float(argv[1])
    if kind == "cpu":
        print("ready", flush=True)
        spin(duration, parent)
    elif kind == "memory":
        hold(int(argv[2]), duration, parent)
    else:
        print(f"unknown stressor {kind!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
