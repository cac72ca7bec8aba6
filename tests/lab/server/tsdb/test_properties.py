"""The TSDB answers like MemoryStorage for the same accepted appends, whatever
mix of head, blocks, compaction and restarts holds the data."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.storage.errors import DuplicateSampleError, OutOfOrderSampleError
from lab.server.storage.memory import MemoryStorage
from lab.server.tsdb import DB, OutOfBoundsError

SERIES = [
    Labels.of(__name__=name, job=job, **({"inst": inst} if inst else {}))
    for name in ("up", "req")
    for job in ("a", "b")
    for inst in ("", "x", "y")
]

samples = st.tuples(
    st.integers(0, len(SERIES) - 1),
    st.integers(0, 40),  # time step; each commit moves the base forward
    st.one_of(st.floats(allow_nan=True), st.integers(-5, 5).map(float)),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("commit"), st.lists(samples, max_size=12)),
        st.tuples(st.just("rollback"), st.lists(samples, max_size=4)),
        st.tuples(st.just("compact"), st.just([])),
        st.tuples(st.just("reopen"), st.just([])),
    ),
    min_size=1,
    max_size=30,
)
matcher = st.builds(
    Matcher,
    st.sampled_from(list(MatchType)),
    st.sampled_from(["__name__", "job", "inst", "nope"]),
    st.sampled_from(["", "up", "a", "x", "y", "b|x", ".*", "u.", "r.*|a"]),
)


def as_tuples(series: list) -> list:  # type: ignore[type-arg]
    return [(s.labels, s.timestamps.tolist(), s.values.view(np.uint64).tolist()) for s in series]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops,
    st.lists(st.lists(matcher, min_size=1, max_size=3), min_size=1, max_size=4),
    st.integers(0, 3000),
    st.integers(0, 3000),
    st.booleans(),
)
def test_same_answers_as_memory_storage(
    script: list,  # type: ignore[type-arg]
    queries: list[list[Matcher]],
    lo: int,
    span: int,
    final_compact: bool,
) -> None:
    mem = MemoryStorage()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)

        # 20 ms blocks so that a short script crosses many block boundaries.
        def open_db() -> DB:
            return DB.open(path, retention_time_ms=None, block_range_ms=20)

        db = open_db()
        base = 0
        for kind, batch in script:
            if kind == "compact":
                db.compact()
                continue
            if kind == "reopen":
                db.close()
                db = open_db()
                continue
            app = db.appender()
            accepted = []
            for idx, step, value in batch:
                t = base + step
                try:
                    app.append(SERIES[idx], t, value)
                except (OutOfOrderSampleError, DuplicateSampleError, OutOfBoundsError):
                    continue
                accepted.append((SERIES[idx], t, value))
            if kind == "rollback":
                app.rollback()
            else:
                app.commit()
                mem_app = mem.appender()
                for labels, t, value in accepted:
                    mem_app.append(labels, t, value)
                mem_app.commit()
            base += 60
        if final_compact:
            db.compact()
        for ms in queries:
            for mint, maxt in ((-(2**62), 2**62), (lo, lo + span)):
                got = db.querier(mint, maxt)
                want = mem.querier(mint, maxt)
                assert as_tuples(got.select(ms)) == as_tuples(want.select(ms))
                got.close()
        event(f"blocks: {min(len(db.blocks()), 3)}")
        full, ref = db.querier(-(2**62), 2**62), mem.querier(-(2**62), 2**62)
        assert full.label_names() == ref.label_names()
        for name in ("__name__", "job", "inst"):
            assert full.label_values(name, queries[0]) == ref.label_values(name, queries[0])
        full.close()
        db.close()
