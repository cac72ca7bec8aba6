"""The head's series: closed chunks in the block encoding plus an open tail
answer every range exactly as the raw samples would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.tsdb import DB
from lab.server.tsdb.head import CHUNK_SAMPLES, MemSeries

LABELS = Labels.of(__name__="m")


def _raw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.integers(1, 30_000, n)).astype(np.int64)
    kind = seed % 3
    if kind == 0:
        vs = np.cumsum(rng.integers(0, 50, n)).astype(np.float64)
    elif kind == 1:
        vs = rng.random(n)
    else:
        vs = np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 5, n) / 4)
    return ts, vs


def _fill(s: MemSeries, ts: np.ndarray, vs: np.ndarray, batch: int) -> None:
    for i in range(0, ts.size, batch):
        s.append(ts[i : i + batch], vs[i : i + batch])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 700),
    seed=st.integers(0, 1000),
    batch=st.sampled_from([1, 7, 300]),
    bounds=st.lists(st.integers(-10, 1001), min_size=3, max_size=3),
)
def test_ranges_and_truncation_match_raw_samples(
    n: int, seed: int, batch: int, bounds: list[int]
) -> None:
    ts, vs = _raw(n, seed)
    s = MemSeries(seed, LABELS)
    _fill(s, ts, vs, batch)
    assert s.n == n and s.max_t == ts[-1] and s.first_t() == ts[0]
    assert len(s.chunks) >= n // CHUNK_SAMPLES
    span = int(ts[-1]) + 2
    lo, hi, cut = (b * span // 1000 for b in bounds)
    got_t, got_v = s.range(lo, hi)
    keep = (ts >= lo) & (ts <= hi)
    np.testing.assert_array_equal(got_t, ts[keep])
    np.testing.assert_array_equal(got_v.view(np.uint64), vs[keep].view(np.uint64))
    s.drop_before(cut)
    keep = ts >= cut
    all_t, all_v = s.samples()
    np.testing.assert_array_equal(all_t, ts[keep])
    np.testing.assert_array_equal(all_v.view(np.uint64), vs[keep].view(np.uint64))
    assert s.n == int(keep.sum())


def test_views_of_the_tail_survive_a_cut() -> None:
    s = MemSeries(0, LABELS)
    s.append([1, 2, 3], [1.0, 2.0, 3.0])
    view_t, view_v = s.range(0, 10)
    s.append(list(range(4, 400)), [float(t) for t in range(4, 400)])
    assert view_t.tolist() == [1, 2, 3] and view_v.tolist() == [1.0, 2.0, 3.0]


def test_compressed_head_holds_less_than_raw_columns(tmp_path: Path) -> None:
    db = DB.open(tmp_path / "d")
    app = db.appender()
    series = [Labels.of(__name__="m", i=str(i)) for i in range(50)]
    for k in range(480):
        for i, labels in enumerate(series):
            app.append(labels, 15_000 * k, float(k * (i + 1)))
        app.commit()
    assert db.head.memory_bytes() < 50 * 480 * 16 // 4
    # The checkpoint and the WAL reproduce the chunked head exactly after a reopen.
    with db.querier(0, 10**12) as q:
        before = [(s.labels, s.timestamps.tolist()) for s in q.select([ALL])]
    db.close()
    db = DB.open(tmp_path / "d")
    with db.querier(0, 10**12) as q:
        after = [(s.labels, s.timestamps.tolist()) for s in q.select([ALL])]
    db.close()
    assert before == after and len(before[0][1]) == 480


ALL = Matcher(MatchType.EQUAL, "__name__", "m")


def test_replay_one_sample_per_series_matches_the_general_path() -> None:
    from lab.server.tsdb.head import Head

    def replayed(records: list[tuple[list[int], list[int], list[float]]]) -> dict[int, list[int]]:
        head = Head()
        head.min_valid_t = 100
        for ref in (1, 2, 3):
            head.create_series(Labels.of(__name__="m", r=str(ref)), ref)
        unknown = 0
        for refs, ts, vs in records:
            unknown += head.apply_replayed(
                np.array(refs, np.int64), np.array(ts, np.int64), np.array(vs, np.float64)
            )
        out = {r: s.samples()[0].tolist() for r, s in head.series.items()}
        out[-1] = [unknown, head.max_t, head.min_t()]
        return out

    one_each = [
        ([3, 1, 2, 9], [50, 200, 300, 1], [1.0, 2.0, 3.0, 4.0]),
        ([1, 2], [200, 250], [5.0, 6.0]),
    ]
    # The same samples with a repeated ref in each record take the general path.
    general = [
        ([3, 1, 2, 9, 9], [50, 200, 300, 1, 2], [1.0, 2.0, 3.0, 4.0, 4.0]),
        ([1, 2, 2], [200, 250, 250], [5.0, 6.0, 6.0]),
    ]
    got = replayed(one_each)
    assert got[1] == [200] and got[2] == [300] and got[3] == []
    assert got[-1] == [1, 300, 200]
    assert {k: v for k, v in replayed(general).items() if k != -1} == {
        k: v for k, v in got.items() if k != -1
    }
