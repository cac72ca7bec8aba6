"""kill -9 during ingestion loses no acknowledged sample."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from lab.model.matcher import Matcher, MatchType
from lab.server.tsdb import DB
from tests.lab.server.tsdb.crash_writer import SERIES, STEP_MS

ROOT = Path(__file__).resolve().parents[4]
DEADLINE_S = 60.0


def run_until_killed(directory: Path, start: int, acks_wanted: int) -> list[int]:
    """Start the writer, read acknowledgements, SIGKILL it; return the acked timestamps."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.lab.server.tsdb.crash_writer", str(directory), str(start)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    acked: list[int] = []
    buf = b""
    deadline = time.monotonic() + DEADLINE_S
    try:
        while len(acked) < acks_wanted and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            acked.extend(int(x) for x in lines)
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    # Anything the writer printed before dying was acknowledged too.
    acked.extend(int(x) for x in buf.split(b"\n") if x.strip())
    assert acked, err.decode()
    return acked


def test_kill_9_loses_no_acknowledged_sample(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    start = 0
    all_acked: list[int] = []
    for wanted in (40, 25, 60):  # three crashes, each at a different point
        acked = run_until_killed(directory, start, wanted)
        all_acked.extend(acked)
        db = DB.open(directory, retention_time_ms=None)
        with db.querier(0, 2**62) as q:
            got = q.select([Matcher(MatchType.EQUAL, "__name__", "crash_test")])
        assert [s.labels for s in got] == sorted(SERIES)
        for s in got:
            present = set(s.timestamps.tolist())
            missing = [t for t in all_acked if t not in present]
            assert not missing, f"{s.labels}: lost acknowledged samples {missing[:5]}"
            assert np.array_equal(s.values, s.timestamps.astype(np.float64))
        # Continue after the newest sample that survived (maybe one unacknowledged).
        start = int(max(s.timestamps[-1] for s in got)) + STEP_MS
        db.close()
