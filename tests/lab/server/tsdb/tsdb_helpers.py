"""Helpers shared by the TSDB tests."""

from __future__ import annotations


class FakeClock:
    """A clock tests move by hand (seconds)."""

    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t
