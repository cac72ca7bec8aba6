import threading
from pathlib import Path

import numpy as np
import pytest

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.model.value import STALE_NAN, stale_mask
from lab.server.storage.errors import DuplicateSampleError, OutOfOrderSampleError
from lab.server.tsdb import DB, ClosedError, OutOfBoundsError, TSDBError

UP = [Matcher(MatchType.EQUAL, "__name__", "up")]
A = Labels.of(__name__="up", job="a")
B = Labels.of(__name__="up", job="b")


def samples(db: DB, matchers: list[Matcher] = UP) -> dict[Labels, list[tuple[int, float]]]:
    q = db.querier(-(2**62), 2**62)
    try:
        return {
            s.labels: list(zip(s.timestamps.tolist(), s.values.tolist(), strict=True))
            for s in q.select(matchers)
        }
    finally:
        q.close()


def test_nothing_visible_before_commit(db: DB) -> None:
    app = db.appender()
    app.append(A, 1000, 1.0)
    app.append(B, 1000, 2.0)
    assert samples(db) == {}
    app.commit()
    assert samples(db) == {A: [(1000, 1.0)], B: [(1000, 2.0)]}


def test_rollback_forgets_and_appender_is_reusable(db: DB) -> None:
    app = db.appender()
    app.append(A, 1000, 1.0)
    app.rollback()
    app.commit()
    assert samples(db) == {}
    app.append(A, 2000, 2.0)
    app.commit()
    app.append(A, 3000, 3.0)
    app.commit()
    assert samples(db) == {A: [(2000, 2.0), (3000, 3.0)]}


def test_out_of_order_and_duplicates_rejected_at_append(db: DB) -> None:
    app = db.appender()
    app.append(A, 2000, 1.0)
    app.commit()
    with pytest.raises(OutOfOrderSampleError, match=r"^out of order sample$"):
        app.append(A, 1000, 1.0)
    with pytest.raises(DuplicateSampleError, match=r"^duplicate sample for timestamp$"):
        app.append(A, 2000, 5.0)
    app.append(A, 2000, 1.0)  # an exact repeat is dropped silently, as upstream
    app.append(A, 3000, 3.0)
    with pytest.raises(OutOfOrderSampleError):
        app.append(A, 2500, 1.0)  # older than this batch's own newest
    app.commit()  # the rejected samples were never buffered
    assert samples(db) == {A: [(2000, 1.0), (3000, 3.0)]}


def test_commit_validates_the_whole_batch_first(db: DB) -> None:
    one = db.appender()
    two = db.appender()
    one.append(A, 1000, 1.0)
    two.append(B, 5000, 5.0)
    two.append(A, 500, 0.5)  # fine when appended; out of order once `one` commits
    one.commit()
    with pytest.raises(OutOfOrderSampleError):
        two.commit()
    assert samples(db) == {A: [(1000, 1.0)]}  # B's valid sample was not applied either
    two.append(B, 5000, 5.0)  # the failed transaction is gone; the appender works
    two.commit()
    assert B in samples(db)


def test_stale_markers_and_special_values_are_samples(db: DB) -> None:
    app = db.appender()
    for t, v in ((1, 1.0), (2, np.nan), (3, STALE_NAN), (4, -np.inf)):
        app.append(A, t, v)
    app.commit()
    q = db.querier(0, 10)
    (s,) = q.select(UP)
    q.close()
    assert stale_mask(s.values).tolist() == [False, False, True, False]
    assert np.isnan(s.values[1]) and s.values[3] == -np.inf


def test_bad_input_errors(db: DB) -> None:
    app = db.appender()
    with pytest.raises(TSDBError, match="empty labelset"):
        app.append(Labels(), 1, 1.0)
    db.head.min_valid_t = 1000
    with pytest.raises(OutOfBoundsError, match=r"^out of bounds$"):
        app.append(A, 999, 1.0)


def test_closed_db(tmp_path: Path) -> None:
    db = DB.open(tmp_path / "d")
    app = db.appender()
    app.append(A, 1, 1.0)
    db.close()
    with pytest.raises(ClosedError):
        app.commit()
    with pytest.raises(ClosedError):
        db.appender()
    with pytest.raises(ClosedError):
        db.querier(0, 1)


def test_concurrent_commits_all_land_in_order(db: DB) -> None:
    errors: list[BaseException] = []
    shared = Labels.of(__name__="up", job="shared")

    def writer(k: int) -> None:
        app = db.appender()
        try:
            for i in range(100):
                app.append(Labels.of(__name__="up", job=f"w{k}"), i * 1000, float(i))
                app.commit()
                try:
                    app.append(shared, i * 4000 + k * 1000, 1.0)
                    app.commit()
                except OutOfOrderSampleError:
                    app.rollback()  # another writer got further: rejected, not misapplied
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    got = samples(db)
    for k in range(4):
        assert [t for t, _ in got[Labels.of(__name__="up", job=f"w{k}")]] == [
            i * 1000 for i in range(100)
        ]
    times = [t for t, _ in got[shared]]
    assert times == sorted(set(times)) and len(times) >= 100


def test_labels_and_values(db: DB) -> None:
    app = db.appender()
    app.append(A, 1000, 1.0)
    app.append(Labels.of(__name__="other", zone="z"), 1000, 1.0)
    app.commit()
    q = db.querier(0, 2000)
    assert q.label_names() == ["__name__", "job", "zone"]
    assert q.label_values("__name__") == ["other", "up"]
    assert q.label_values("job", UP) == ["a"]
    q.close()
    assert db.querier(5000, 6000).label_names() == []
