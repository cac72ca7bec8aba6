import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from lab.model.labels import Labels
from lab.server.tsdb import records
from lab.server.tsdb.errors import CorruptionError
from lab.server.tsdb.wal import WAL, list_segments, read_records, segment_name


def test_records_roundtrip() -> None:
    labels = [Labels.of(__name__="up", job="a"), Labels.of(__name__="x", ü="ß")]
    rec = records.decode(records.encode_series([1, 7], labels))
    assert rec == records.SeriesRecord([1, 7], labels)
    refs = np.array([1, 7, 1], dtype=np.int64)
    for ts in (np.array([10, 20, 30]), np.array([-(2**62), 0, 2**62])):
        vs = np.array([1.5, np.nan, -0.0])
        got = records.decode(records.encode_samples(refs, ts.astype(np.int64), vs))
        assert isinstance(got, records.SamplesRecord)
        assert got.refs.tolist() == [1, 7, 1]
        assert got.timestamps.tolist() == ts.tolist()
        assert got.values.view(np.uint64).tolist() == vs.view(np.uint64).tolist()
    with pytest.raises(CorruptionError):
        records.decode(b"\x09")
    with pytest.raises(CorruptionError):
        records.decode(records.encode_samples(refs, ts, vs)[:-3])


def test_log_read_and_segments(tmp_path: Path) -> None:
    wal = WAL(tmp_path, segment_size=100)
    recs = [bytes([i]) * 40 for i in range(1, 8)]
    for r in recs:
        wal.sync(wal.log([r]))
    wal.close()
    assert len(list_segments(tmp_path)) > 2
    assert list(read_records(tmp_path)) == recs
    again = WAL(tmp_path)  # a reopened log starts a fresh segment
    assert again.segment == list_segments(tmp_path)[-1]
    again.close()


def test_torn_tail_is_truncated_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wal = WAL(tmp_path)
    wal.sync(wal.log([b"one", b"two", b"three"]))
    wal.close()
    path = tmp_path / segment_name(0)
    full = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(full - 2)  # a crash in the middle of the last record
    with caplog.at_level(logging.WARNING):
        assert list(read_records(tmp_path)) == [b"one", b"two"]
    assert "torn record" in caplog.text
    assert path.stat().st_size == full - 2 - (8 + 5) + 2  # cut at the torn record
    caplog.clear()
    assert list(read_records(tmp_path)) == [b"one", b"two"]
    assert caplog.text == ""


def test_corrupt_record_drops_the_rest_of_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wal = WAL(tmp_path, segment_size=30)
    for r in (b"a" * 10, b"b" * 10, b"c" * 10, b"d" * 10):
        wal.log([r])
    wal.close()
    segs = list_segments(tmp_path)
    assert len(segs) == 4
    second = tmp_path / segment_name(segs[1])
    data = bytearray(second.read_bytes())
    data[-1] ^= 0xFF  # flip a payload bit: the CRC no longer matches
    second.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        assert list(read_records(tmp_path)) == [b"a" * 10]
    assert "checksum mismatch" in caplog.text
    assert list_segments(tmp_path) == segs[:2]
    assert second.stat().st_size == 0


def test_garbage_and_zero_filled_tails(tmp_path: Path) -> None:
    wal = WAL(tmp_path)
    wal.sync(wal.log([b"ok"]))
    wal.close()
    path = tmp_path / segment_name(0)
    with path.open("ab") as f:
        f.write(b"\x00" * 64)
    assert list(read_records(tmp_path)) == [b"ok"]
    with path.open("ab") as f:
        f.write(b"\xff" * 64)
    assert list(read_records(tmp_path, repair=False)) == [b"ok"]
    assert path.stat().st_size == 10 + 64  # read-only: nothing changed on disk


def test_group_commit_concurrent_syncs(tmp_path: Path) -> None:
    wal = WAL(tmp_path)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(50):
                wal.sync(wal.log([f"{k}:{i}".encode()]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    wal.close()
    assert not errors
    got = list(read_records(tmp_path))
    assert sorted(got) == sorted(f"{k}:{i}".encode() for k in range(4) for i in range(50))
    for k in range(4):  # each writer's records stay in its order
        mine = [int(r.split(b":")[1]) for r in got if r.startswith(f"{k}:".encode())]
        assert mine == list(range(50))
