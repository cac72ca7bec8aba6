"""Acknowledged pushes survive kill -9; a torn log tail is cut with a warning."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from exporters.pushgateway.persistence import Persistence

from .harness import pushed_samples, request, running, start_ours, stop

N = 40


def push(base: str, i: int) -> int:
    body = f'# TYPE batch_items gauge\nbatch_items{{shard="{i % 3}"}} {i}\n'.encode()
    return request(base, "PUT", f"/metrics/job/batch/instance/n{i}", body).status


def names_and_values(base: str) -> set[tuple[str, float]]:
    return {
        (dict(labels)["instance"], float(value))
        for labels, value in pushed_samples(base)
        if dict(labels).get("__name__") == "batch_items"
    }


def test_acknowledged_pushes_survive_kill_9(tmp_path: Path) -> None:
    state = tmp_path / "data" / "pushgateway.state"
    ours = start_ours(tmp_path, f"--persistence.file={state}")
    try:
        # Concurrent clients, so that group commit batches several pushes per fsync.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda i: push(ours.url, i), range(N)))
        assert codes == [200] * N
        assert request(ours.url, "DELETE", "/metrics/job/batch/instance/n0").status == 202
    finally:
        stop(ours, kill=True)
    assert ours.process.returncode == -9
    expected = {(f"n{i}", float(i)) for i in range(1, N)}
    with running(tmp_path, f"--persistence.file={state}") as again:
        assert names_and_values(again.url) == expected
        # Push times are restored too, not reset.
        times = [
            v
            for labels, v in pushed_samples(again.url)
            if dict(labels)["__name__"] == "push_time_seconds"
        ]
        assert times and all(v == "set" for v in times)
    # A graceful stop compacts into the snapshot; a third start reads it.
    assert state.exists()
    with running(tmp_path, f"--persistence.file={state}") as third:
        assert names_and_values(third.url) == expected


def test_torn_tail_is_truncated_with_a_warning(tmp_path: Path) -> None:
    state = tmp_path / "pushgateway.state"
    ours = start_ours(tmp_path, f"--persistence.file={state}")
    try:
        for i in range(5):
            assert push(ours.url, i) == 200
    finally:
        stop(ours, kill=True)
    segments = sorted(tmp_path.glob("pushgateway.state.wal.*"))
    assert segments
    last = segments[-1]
    size = last.stat().st_size
    with last.open("r+b") as fh:  # cut the last record in half
        fh.truncate(size - 20)
    with running(tmp_path, f"--persistence.file={state}") as again:
        assert names_and_values(again.url) == {(f"n{i}", float(i)) for i in range(4)}
        assert "torn or corrupt record" in again.log()
        assert push(again.url, 9) == 200


def test_corrupt_record_ends_replay_of_its_segment(tmp_path: Path) -> None:
    from exporters.pushgateway.collector import UPSTREAM_OWN_TYPES
    from exporters.pushgateway.store import Store

    path = tmp_path / "state"
    persistence = Persistence(path)
    store = Store(own_types=UPSTREAM_OWN_TYPES, clock=lambda: 100.0)
    assert persistence.load(store) == 0
    segment = tmp_path / "state.wal.00000001"
    from exporters.pushgateway.persistence import frame

    good = frame({"op": "delete", "g": {"job": "a"}})
    segment.write_bytes(good + good[:-1] + b"X" + good)
    assert Persistence(path).load(store) == 1
    assert segment.stat().st_size == len(good)
