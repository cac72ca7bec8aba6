"""Fixtures for the API tests: a small store with Prometheus-recorded goldens'
data, and the API served over loopback HTTP."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from lab.model.labels import Labels
from lab.server.api.deps import ApiDeps
from lab.server.api.routes import build_app
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.api.serving import Client, serve

T0 = 1_700_000_000_000  # ms; the goldens were recorded from Prometheus 2.42 on this data


def golden_storage() -> MemoryStorage:
    """The series behind the goldens (loaded into Prometheus with promtool)."""
    st = MemoryStorage()
    st.add_series(
        Labels.of(__name__="m", a="1"),
        [T0, T0 + 15_000, T0 + 30_000, T0 + 45_000, T0 + 60_500],
        [1.0, 0.1, 1e-7, 1e21, 123456789012345678.0],
    )
    st.add_series(Labels.of(__name__="m", a="2", b="<&>"), [T0, T0 + 60_000], [math.nan, math.inf])
    st.add_series(Labels.of(__name__="up", job="x", instance="h:1"), [T0 + 60_000], [1.0])
    return st


@pytest.fixture
def storage() -> MemoryStorage:
    return golden_storage()


@pytest.fixture
def deps(storage: MemoryStorage) -> ApiDeps:
    return ApiDeps(queryable=storage, now_ms=lambda: T0 + 61_000)


@pytest.fixture
def api(deps: ApiDeps) -> Iterator[Client]:
    with serve(lambda: build_app(deps)) as client:
        yield client
