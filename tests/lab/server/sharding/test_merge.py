"""MergeQueryable: fan-out, merge of identical series, HA replica dedup with a
gap in one replica, and failing stores."""

from __future__ import annotations

import pytest

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.sharding.dedup import dedup
from lab.server.sharding.errors import StoreError
from lab.server.sharding.merge import MergeQueryable
from lab.server.storage.interface import Querier, Series
from lab.server.storage.memory import MemoryStorage

UP = [Matcher(MatchType.EQUAL, "__name__", "up")]


def _store(series: dict[Labels, list[tuple[int, float]]]) -> MemoryStorage:
    m = MemoryStorage()
    for lset, samples in series.items():
        m.add_series(lset, [t for t, _ in samples], [v for _, v in samples])
    return m


def test_shards_are_unioned_and_identical_series_merged() -> None:
    a = Labels.of(__name__="up", instance="a")
    b = Labels.of(__name__="up", instance="b")
    s1 = _store({a: [(0, 1.0), (10, 1.0)]})
    s2 = _store({b: [(0, 0.0)], a: [(10, 9.0), (20, 1.0)]})
    q = MergeQueryable([s1, s2]).querier(0, 100)
    got = {s.labels: list(zip(s.timestamps.tolist(), s.values.tolist(), strict=True))
           for s in q.select(UP)}  # fmt: skip
    assert got == {a: [(0, 1.0), (10, 1.0), (20, 1.0)], b: [(0, 0.0)]}
    assert q.label_values("instance") == ["a", "b"]


def test_replicas_deduplicated_gap_filled_from_the_other() -> None:
    # Replica r1 scrapes every 15s at 0, 15, ... but misses 60..120; r2 scrapes
    # at 65, 80, ... (it started later) without a gap.
    r1 = [(t, 1.0) for t in range(0, 301_000, 15_000) if not 60_000 < t < 120_000]
    r2 = [(t, 2.0) for t in range(65_000, 301_000, 15_000)]  # fewer: r1 is primary
    base = {"__name__": "up", "job": "node"}
    s1 = _store({Labels.of(base, replica="r1"): r1})
    s2 = _store({Labels.of(base, replica="r2"): r2})
    mq = MergeQueryable([s1, s2], replica_label="replica")
    (series,) = mq.querier(0, 400_000).select(UP)
    assert series.labels == Labels.of(base)
    ts = series.timestamps.tolist()
    assert ts == sorted(ts) and len(set(ts)) == len(ts)
    filled = [t for t, v in zip(ts, series.values.tolist(), strict=True) if v == 2.0]
    # Only inside the gap, never within half an interval of r1's samples.
    assert filled == [80_000, 95_000, 110_000]  # 65s is too close to r1's 60s
    assert [t for t in ts if t not in filled] == [t for t, _ in r1]
    assert mq.querier(0, 400_000).label_names() == ["__name__", "job"]
    assert mq.querier(0, 400_000).label_values("replica") == []


def test_dedup_prefers_the_replica_with_more_samples_and_fills_the_edges() -> None:
    lset = Labels.of(__name__="x")
    full = Series(lset, *_cols([(t, 1.0) for t in range(0, 100, 10)]))
    late = Series(lset, *_cols([(t, 2.0) for t in range(52, 100, 10)]))
    out = dedup(lset, [("b", late), ("a", full)])
    assert out.values.tolist() == [1.0] * 10
    early_stop = Series(lset, *_cols([(t, 1.0) for t in range(0, 50, 10)]))
    out = dedup(
        lset,
        [("a", early_stop), ("b", Series(lset, *_cols([(t, 2.0) for t in range(52, 100, 10)])))],
    )
    assert out.timestamps.tolist() == [0, 10, 20, 30, 40, 52, 62, 72, 82, 92]


def _cols(samples: list[tuple[int, float]]) -> tuple:  # type: ignore[type-arg]
    import numpy as np

    return (np.array([t for t, _ in samples], dtype=np.int64),
            np.array([v for _, v in samples], dtype=np.float64))  # fmt: skip


class _Broken:
    def querier(self, mint_ms: int, maxt_ms: int) -> Querier:
        raise OSError("connection refused")


def test_a_failing_store_fails_the_query_naming_it() -> None:
    mq = MergeQueryable([_store({}), _Broken()], names=["ok", "shard-1"])
    with pytest.raises(StoreError, match="shard-1: connection refused"):
        mq.querier(0, 10).select(UP)


def test_partial_response_answers_from_the_stores_that_are_up_with_a_warning() -> None:
    from lab.server.promql.engine import Engine

    a = Labels.of(__name__="up", instance="a", replica="r1")
    mq = MergeQueryable([_store({a: [(0, 1.0)]}), _Broken()], names=["r1", "r2"],
                        replica_label="replica", partial_response=True)  # fmt: skip
    q = mq.querier(0, 10)
    assert [s.labels for s in q.select(UP)] == [a.without("replica")]
    assert q.label_names() == ["__name__", "instance"]
    assert q.warnings == ["partial response: store r2: connection refused"]
    # the engine passes the warning on to the query's answer
    result = Engine().instant_query(mq, "count(up)", 5)
    assert result.warnings == ["partial response: store r2: connection refused"]
    # every store down: nothing to answer from, the query fails
    with pytest.raises(StoreError, match="r1: connection refused"):
        MergeQueryable([_Broken(), _Broken()], names=["r1", "r2"],
                       partial_response=True).querier(0, 10).select(UP)  # fmt: skip
