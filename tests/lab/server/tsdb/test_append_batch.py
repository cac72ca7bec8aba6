"""``HeadAppender.append_batch``: a scrape's samples of known series as columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lab.model.labels import Labels
from lab.server.storage.errors import OutOfOrderSampleError, UnknownSeriesError
from lab.server.storage.interface import BatchAppender
from lab.server.storage.memory import MemoryStorage
from lab.server.tsdb import DB
from tests.lab.server.tsdb.test_head_appender import A, B, samples

I64 = np.int64


def _refs(db: DB) -> tuple[int, int]:
    app = db.appender()
    app.append(A, 1000, 1.0)
    app.append(B, 1000, 2.0)
    app.commit()
    ra, rb = app.series_ref(A), app.series_ref(B)
    assert ra is not None and rb is not None
    return ra, rb


def test_batch_appends_and_skips_what_append_would_reject(db: DB) -> None:
    ra, rb = _refs(db)
    app = db.appender()
    assert isinstance(app, BatchAppender)
    assert app.series_ref(Labels.of(__name__="up", job="none")) is None
    taken = app.append_batch(
        np.array([ra, rb], I64), np.array([2000, 2000], I64), np.array([3.0, 4.0])
    )
    assert taken.tolist() == [True, True]
    assert samples(db) == {A: [(1000, 1.0)], B: [(1000, 2.0)]}  # not before commit
    app.commit()
    # B older than its newest: skipped; A's exact repeat: taken, stored once.
    taken = app.append_batch(
        np.array([ra, rb], I64), np.array([2000, 1500], I64), np.array([3.0, 9.0])
    )
    assert taken.tolist() == [True, False]
    taken = app.append_batch(np.array([rb], I64), np.array([2000], I64), np.array([5.0]))
    assert taken.tolist() == [False]  # same timestamp, another value
    app.commit()
    assert samples(db) == {A: [(1000, 1.0), (2000, 3.0)], B: [(1000, 2.0), (2000, 4.0)]}


def test_batch_and_append_in_one_transaction_and_replay(tmp_path: Path) -> None:
    db = DB.open(tmp_path / "d")
    ra, _ = _refs(db)
    app = db.appender()
    app.append_batch(np.array([ra], I64), np.array([2000], I64), np.array([3.0]))
    app.append(B, 2000, 4.0)
    app.append(Labels.of(__name__="up", job="c"), 2000, 5.0)
    app.append(A, 3000, 6.0)  # the same series both ways: still one ordered write
    app.commit()
    expected = samples(db)
    assert expected[A] == [(1000, 1.0), (2000, 3.0), (3000, 6.0)]
    db.close()
    again = DB.open(tmp_path / "d")
    assert samples(again) == expected
    again.close()


def test_rollback_and_unknown_refs(db: DB) -> None:
    ra, _ = _refs(db)
    app = db.appender()
    app.append_batch(np.array([ra], I64), np.array([2000], I64), np.array([3.0]))
    app.rollback()
    app.commit()
    assert samples(db)[A] == [(1000, 1.0)]
    with pytest.raises(UnknownSeriesError):
        app.append_batch(
            np.array([ra, 999], I64), np.array([3000, 3000], I64), np.array([1.0, 1.0])
        )


def test_a_commit_in_between_is_caught_at_commit(db: DB) -> None:
    ra, _ = _refs(db)
    first, second = db.appender(), db.appender()
    first.append_batch(np.array([ra], I64), np.array([3000], I64), np.array([3.0]))
    second.append(A, 4000, 4.0)
    second.commit()
    with pytest.raises(OutOfOrderSampleError):
        first.commit()
    assert samples(db)[A] == [(1000, 1.0), (4000, 4.0)]


def test_memory_storage_is_a_batch_appender() -> None:
    store = MemoryStorage()
    app = store.appender()
    assert isinstance(app, BatchAppender)
    app.append(A, 1000, 1.0)
    assert app.series_ref(A) is None  # not held before commit
    app.commit()
    ref = app.series_ref(A)
    assert ref is not None
    assert app.append_batch(np.array([ref], I64), np.array([2000], I64), np.array([2.0])).all()
    app.commit()
    [series] = store.querier(0, 10_000).select([])
    assert series.values.tolist() == [1.0, 2.0]
    with pytest.raises(UnknownSeriesError):
        app.append_batch(np.array([ref + 5], I64), np.array([3000], I64), np.array([2.0]))
