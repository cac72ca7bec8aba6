"""Deleting series (head: at once + WAL; blocks: tombstones), cleaning
tombstones, and snapshots."""

from __future__ import annotations

from pathlib import Path

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.tsdb import DB
from tests.lab.server.tsdb.test_db import H, dump, ingest
from tests.lab.server.tsdb.tsdb_helpers import FakeClock

A = Labels.of(__name__="m", s="a")
B = Labels.of(__name__="m", s="b")
ONLY_A = [Matcher(MatchType.EQUAL, "s", "a")]


def _ts(db: DB, labels: Labels) -> list[int]:
    return dump(db).get(labels, ([], []))[0]


def test_delete_in_the_head_is_logged_and_replayed(tmp_path: Path) -> None:
    db = DB.open(tmp_path / "d")
    app = db.appender()
    for t in range(0, 600_000, 15_000):
        app.append(A, t, float(t))
        app.append(B, t, float(t))
    app.commit()
    db.delete(ONLY_A, 100_000, 300_000)
    kept = [t for t in range(0, 600_000, 15_000) if not 100_000 <= t <= 300_000]
    assert _ts(db, A) == kept
    assert len(_ts(db, B)) == 40
    app.append(A, 600_000, 1.0)  # appending goes on after a deletion
    app.commit()
    db.close()
    again = DB.open(tmp_path / "d")
    assert _ts(again, A) == [*kept, 600_000]
    assert len(_ts(again, B)) == 40
    again.delete(ONLY_A, -(2**63), 2**63 - 1)
    assert A not in dump(again)
    with again.querier(0, 10**9) as q:
        assert q.label_values("s") == ["b"]
    again.close()


def test_tombstones_in_blocks_queries_compaction_and_cleaning(
    tmp_path: Path, clock: FakeClock
) -> None:
    db = DB.open(tmp_path / "d", clock=clock, retention_time_ms=None)
    ingest(db, clock, 0, 7 * H, 60_000, ["a", "b"])
    db.compact()
    assert len(db.blocks()) >= 2
    db.delete(ONLY_A, H, 3 * H)
    expected = [t for t in range(0, 7 * H, 60_000) if not H <= t <= 3 * H]
    assert _ts(db, A) == expected
    assert len(_ts(db, B)) == 7 * 60
    blocks_with_stones = [p for p in (tmp_path / "d").glob("*/tombstones")]
    assert blocks_with_stones
    db.close()
    db = DB.open(tmp_path / "d", clock=clock, retention_time_ms=None)
    assert _ts(db, A) == expected  # tombstones are durable
    made = db.clean_tombstones()
    assert made and not list((tmp_path / "d").glob("*/tombstones"))
    assert _ts(db, A) == expected and len(_ts(db, B)) == 7 * 60
    assert db.clean_tombstones() == []
    db.close()


def test_snapshot_links_blocks_and_writes_the_head(tmp_path: Path, clock: FakeClock) -> None:
    db = DB.open(tmp_path / "d", clock=clock, retention_time_ms=None)
    ingest(db, clock, 0, 5 * H, 60_000, ["a"])
    db.compact()
    db.snapshot(tmp_path / "snap")
    db.snapshot(tmp_path / "nohead", with_head=False)
    everything = dump(db)
    block_part = {k: v for k, v in dump(db, 0, db.blocks()[-1].max_time - 1).items()}
    db.close()
    snap = DB.open(tmp_path / "snap", read_only=True)
    assert dump(snap) == everything
    snap.close()
    nohead = DB.open(tmp_path / "nohead", read_only=True)
    assert dump(nohead) == block_part
    assert all(p.stat().st_nlink >= 2 for p in (tmp_path / "nohead").rglob("index"))
    nohead.close()
