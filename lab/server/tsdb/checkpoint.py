"""WAL checkpoints: the head's state as of a segment, so older segments can go.

When the head is truncated (its oldest range is now a block), the WAL is cut
and everything the head still holds is written as a fresh log in
``wal/checkpoint.NNNNNNNN`` (NNNNNNNN = the last segment it replaces: series
records, then sample records). Replay reads the newest checkpoint, then the
segments after it. A checkpoint is built under a temporary name and renamed,
so a crash leaves the previous one in force.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from lab.server.tsdb.fileutil import fsync_dir
from lab.server.tsdb.wal import WAL

_NAME = re.compile(r"^checkpoint\.(\d{8})$")


def checkpoint_name(index: int) -> str:
    return f"checkpoint.{index:08d}"


def last_checkpoint(wal_dir: Path) -> tuple[int, Path] | None:
    found = []
    if wal_dir.is_dir():
        for p in wal_dir.iterdir():
            m = _NAME.match(p.name)
            if m and p.is_dir():
                found.append((int(m.group(1)), p))
    return max(found) if found else None


def write_checkpoint(wal_dir: Path, upto_segment: int, records: Iterable[bytes]) -> Path:
    """Write ``records`` as the checkpoint replacing segments ``<= upto_segment``."""
    final = wal_dir / checkpoint_name(upto_segment)
    tmp = wal_dir / (final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    log = WAL(tmp)
    try:
        batch: list[bytes] = []
        size = 0
        for rec in records:
            batch.append(rec)
            size += len(rec)
            if size > 1 << 20:
                log.log(batch)
                batch, size = [], 0
        if batch:
            log.log(batch)
    finally:
        log.close()
    fsync_dir(tmp)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    fsync_dir(wal_dir)
    return final


def delete_checkpoints_before(wal_dir: Path, index: int) -> None:
    for p in list(wal_dir.iterdir()) if wal_dir.is_dir() else []:
        m = _NAME.match(p.name)
        if (m and int(m.group(1)) < index) or p.name.endswith(".tmp"):
            with contextlib.suppress(OSError):
                shutil.rmtree(p)
