import json
import logging
from pathlib import Path

import numpy as np
import pytest

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.tsdb import DB, LockedError, TSDBError
from lab.server.tsdb.block import BlockMeta, SeriesData, write_block
from lab.server.tsdb.compact import beyond_retention, plan
from lab.server.tsdb.wal import list_segments
from tests.lab.server.tsdb.tsdb_helpers import FakeClock

H = 3_600_000
ALL = [Matcher(MatchType.REGEX, "__name__", ".+")]


def ingest(db: DB, clock: FakeClock, start: int, end: int, step: int, names: list[str]) -> None:
    """Append every series each ``step`` ms in [start, end), one commit per 30 minutes."""
    app = db.appender()
    for t in range(start, end, step):
        for name in names:
            app.append(Labels.of(__name__="m", s=name), t, float(t // step))
        if (t + step) % (30 * 60_000) == 0:
            clock.t = t / 1000
            app.commit()
    app.commit()


def dump(
    db: DB, mint: int = -(2**62), maxt: int = 2**62
) -> dict[Labels, tuple[list[int], list[float]]]:
    with db.querier(mint, maxt) as q:
        return {s.labels: (s.timestamps.tolist(), s.values.tolist()) for s in q.select(ALL)}


def test_head_block_compaction_retention(tmp_path: Path, clock: FakeClock) -> None:
    # Block ranges are capped at 10% of the retention: 200h allows 2h, 6h and 18h.
    db = DB.open(tmp_path, clock=clock, retention_time_ms=200 * H)
    assert db.ranges == [2 * H, 6 * H, 18 * H]
    ingest(db, clock, 0, 20 * H, 60_000, ["a", "b"])
    before = dump(db)
    res = db.compact()
    assert len(res.head_blocks) == 9  # [0,2h) ... [16h,18h); the head keeps 18h-20h
    assert len(res.merged_blocks) == 2
    ranges = [(m.min_time // H, m.max_time // H, m.level) for m in db.blocks()]
    assert ranges == [(0, 6, 2), (6, 12, 2), (12, 14, 1), (14, 16, 1), (16, 18, 1)]
    assert db.head.min_t() == 18 * H
    assert dump(db) == before
    # Queries inside one block, across blocks and head, and in the head only.
    for lo, hi in ((5, 7), (11, 13), (17, 19), (19, 20)):
        assert dump(db, lo * H, hi * H) == dump_mem(before, lo * H, hi * H)
    ingest(db, clock, 20 * H, 38 * H, 60_000, ["a"])
    db.compact()
    assert (0, 18, 3) in [(m.min_time // H, m.max_time // H, m.level) for m in db.blocks()]
    full = dump(db)
    db.close()
    # Reopened with a 15h retention: blocks ending 15h before the newest one go.
    db = DB.open(tmp_path, clock=clock, retention_time_ms=15 * H)
    assert dump(db) == full
    res = db.compact()
    assert res.deleted_blocks
    newest = max(m.max_time for m in db.blocks())
    assert all(newest - m.max_time <= 15 * H for m in db.blocks())
    left = dump(db)[Labels.of(__name__="m", s="a")][0]
    assert left[-1] == 38 * H - 60_000 and left[0] >= 18 * H
    db.close()


def dump_mem(
    full: dict[Labels, tuple[list[int], list[float]]], mint: int, maxt: int
) -> dict[Labels, tuple[list[int], list[float]]]:
    out = {}
    for labels, (ts, vs) in full.items():
        keep = [(t, v) for t, v in zip(ts, vs, strict=True) if mint <= t <= maxt]
        if keep:
            out[labels] = ([t for t, _ in keep], [v for _, v in keep])
    return out


def test_checkpoint_and_replay(tmp_path: Path, clock: FakeClock) -> None:
    db = DB.open(tmp_path, clock=clock)
    ingest(db, clock, 0, 1 * H, 30_000, ["a", "b", "gone"])
    ingest(db, clock, 1 * H, 5 * H, 30_000, ["a", "b"])  # "gone" churns away
    db.compact()
    wal = tmp_path / "wal"
    assert [p.name for p in wal.iterdir() if p.name.startswith("checkpoint")]
    assert min(list_segments(wal)) >= 1  # segments before the checkpoint are gone
    assert Labels.of(__name__="m", s="gone") not in db.head.by_labels  # dropped at truncation
    ingest(db, clock, 5 * H, 5 * H + 600_000, 30_000, ["a", "new"])
    before = dump(db)
    db.close()
    again = DB.open(tmp_path, clock=clock)
    assert dump(again) == before
    assert again.head.min_valid_t == 2 * H
    again.close()


def test_series_churn_drops_idle_series(tmp_path: Path, clock: FakeClock) -> None:
    db = DB.open(tmp_path, clock=clock)
    for hour in range(12):
        ingest(db, clock, hour * H, (hour + 1) * H, 60_000, [f"pod-{hour}", "steady"])
    db.compact()
    live = {s.labels.get("s") for s in db.head.series.values()}
    assert live <= {"steady", "pod-8", "pod-9", "pod-10", "pod-11"}
    assert db.stats()["headStats"]["numSeries"] == len(live)  # type: ignore[index]
    assert len(dump(db)) == 13
    db.close()


def test_lock_and_read_only(tmp_path: Path, clock: FakeClock) -> None:
    db = DB.open(tmp_path, clock=clock)
    ingest(db, clock, 0, 600_000, 60_000, ["a"])
    with pytest.raises(LockedError):
        DB.open(tmp_path)
    ro = DB.open(tmp_path, read_only=True)
    assert dump(ro) == dump(db)
    with pytest.raises(TSDBError, match="read-only"):
        ro.appender()
    ro.close()
    db.close()


def test_crash_after_merge_before_delete_keeps_one_copy(tmp_path: Path, clock: FakeClock) -> None:
    db = DB.open(tmp_path, clock=clock)
    ingest(db, clock, 0, 10 * H, 60_000, ["a"])
    db.compact()
    merged = next(m for m in db.blocks() if m.parents)
    expected = dump(db)
    db.close()
    # Simulate the crash: a parent block still next to the merged one.
    parent = tmp_path / merged.parents[0]
    first = [
        SeriesData(labels, np.array(ts[:120]), np.array(vs[:120]))
        for labels, (ts, vs) in expected.items()
    ]
    write_block(tmp_path, first, 0, 2 * H, merged.parents[0])
    reopened = DB.open(tmp_path, clock=clock)
    assert not parent.exists()
    assert dump(reopened) == expected
    reopened.close()


def test_corrupt_wal_tail_on_open(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    db = DB.open(tmp_path, clock=clock)
    ingest(db, clock, 0, 600_000, 60_000, ["a"])
    expected = dump(db)
    db.close()
    seg = tmp_path / "wal" / f"{max(list_segments(tmp_path / 'wal')):08d}"
    with seg.open("ab") as f:
        f.write(b"\x20\x00\x00\x00garbage")  # a torn frame after the last commit
    with caplog.at_level(logging.WARNING):
        again = DB.open(tmp_path, clock=clock)
    assert "corrupt" in caplog.text
    assert dump(again) == expected
    again.close()


def meta(ulid: str, lo: int, hi: int, level: int = 1) -> BlockMeta:
    return BlockMeta(ulid, lo * H, hi * H, 1, 1, 1, level)


def test_plan_and_retention_rules() -> None:
    ranges = [2 * H, 6 * H, 18 * H]
    assert plan([meta("a", 0, 2), meta("b", 2, 4)], ranges) == []  # newest is kept
    assert [
        m.ulid
        for m in plan([meta("a", 0, 2), meta("b", 2, 4), meta("c", 4, 6), meta("d", 6, 8)], ranges)
    ] == ["a", "b", "c"]
    overlap = [meta("a", 0, 2), meta("b", 1, 3), meta("c", 8, 10)]
    assert [m.ulid for m in plan(overlap, ranges)] == ["a", "b"]
    metas = [meta("old", 0, 2), meta("mid", 2, 4), meta("new", 10, 12)]
    assert [m.ulid for m in beyond_retention(metas, 9 * H, None, {})] == ["old"]
    sizes = {"old": 100, "mid": 100, "new": 100}
    assert [m.ulid for m in beyond_retention(metas, None, 250, sizes)] == ["old"]
    assert [m.ulid for m in beyond_retention(metas, None, 250, sizes, extra_bytes=60)] == [
        "old",
        "mid",
    ]


def test_retention_by_size(tmp_path: Path, clock: FakeClock) -> None:
    db = DB.open(tmp_path, clock=clock, retention_size_bytes=1)
    ingest(db, clock, 0, 8 * H, 60_000, ["a"])
    res = db.compact()
    assert res.head_blocks and set(res.deleted_blocks) >= set(res.head_blocks) - set(
        m.ulid for m in db.blocks()
    )
    assert db.blocks() == []
    assert np.all(np.array(dump(db)[Labels.of(__name__="m", s="a")][0]) >= 4 * H)
    db.close()


def test_stats_shape(db: DB) -> None:
    app = db.appender()
    for i in range(5):
        app.append(Labels.of(__name__="http", code=str(200 + i), job="api"), 1000, 1.0)
    app.append(Labels.of(__name__="up", job="api"), 2000, 1.0)
    app.commit()
    stats = db.stats(limit=2)
    assert stats == {
        "headStats": {
            "numSeries": 6,
            "numLabelPairs": 8,
            "chunkCount": 6,
            "minTime": 1000,
            "maxTime": 2000,
        },
        "seriesCountByMetricName": [{"name": "http", "value": 5}, {"name": "up", "value": 1}],
        "labelValueCountByLabelName": [
            {"name": "code", "value": 5},
            {"name": "__name__", "value": 2},
        ],
        "memoryInBytesByLabelName": [
            {"name": "code", "value": 15},
            {"name": "__name__", "value": 6},
        ],
        "seriesCountByLabelValuePair": [
            {"name": "job=api", "value": 6},
            {"name": "__name__=http", "value": 5},
        ],
    }
    json.dumps(stats)
