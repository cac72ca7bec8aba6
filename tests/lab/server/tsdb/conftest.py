"""Fixtures for the TSDB tests: a settable clock and a DB in a temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.server.tsdb import DB
from tests.lab.server.tsdb.tsdb_helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(tmp_path: Path, clock: FakeClock) -> Iterator[DB]:
    d = DB.open(tmp_path / "data", clock=clock)
    yield d
    d.close()
