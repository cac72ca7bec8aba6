"""Tombstones: deleted time ranges of a block's series, applied when reading.

``/api/v1/admin/tsdb/delete_series`` does not rewrite blocks: it records, per
series id of a block, closed intervals ``[mint, maxt]`` whose samples no read
returns. They live in ``<block>/tombstones`` (JSON, see FORMAT.md), written
under a temporary name and renamed, so a crash leaves the old or the new set.
Compaction writes merged blocks without the deleted samples, and
``clean_tombstones`` rewrites the blocks that have any.

The head has no tombstones: a deletion there removes the samples at once and
logs a WAL tombstones record (``records.py``) that replay applies again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lab.server.tsdb.errors import CorruptionError
from lab.server.tsdb.fileutil import fsync_dir, write_durably

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

FILE = "tombstones"
_VERSION = 1

#: closed intervals, sorted, not overlapping
Intervals = list[tuple[int, int]]


def add_interval(intervals: Intervals, mint: int, maxt: int) -> Intervals:
    """``intervals`` with ``[mint, maxt]`` added, overlapping or adjacent ones merged."""
    out: Intervals = []
    for lo, hi in sorted([*intervals, (mint, maxt)]):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def deleted_mask(ts: I64, intervals: Iterable[tuple[int, int]]) -> npt.NDArray[np.bool_]:
    """Which of ``ts`` fall in any interval."""
    mask = np.zeros(ts.size, dtype=np.bool_)
    for lo, hi in intervals:
        mask |= (ts >= lo) & (ts <= hi)
    return mask


def apply(ts: I64, vs: F64, intervals: Intervals | None) -> tuple[I64, F64]:
    """The samples outside every interval (the inputs when there are none)."""
    if not intervals or ts.size == 0:
        return ts, vs
    keep = ~deleted_mask(ts, intervals)
    if keep.all():
        return ts, vs
    return ts[keep], vs[keep]


def read(block_dir: Path) -> dict[int, Intervals]:
    """A block's tombstones by series id (empty when it has none)."""
    path = block_dir / FILE
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CorruptionError(f"{path}: {exc}") from None
    try:
        if doc["version"] != _VERSION:
            raise CorruptionError(f"{path}: version {doc['version']}")
        out: dict[int, Intervals] = {}
        for sid, mint, maxt in doc["tombstones"]:
            out[int(sid)] = add_interval(out.get(int(sid), []), int(mint), int(maxt))
        return out
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptionError(f"{path}: malformed ({exc})") from None


def write(block_dir: Path, stones: dict[int, Intervals]) -> None:
    """Replace a block's tombstones durably (removes the file when none are left)."""
    path = block_dir / FILE
    if not stones:
        if path.exists():
            path.unlink()
            fsync_dir(block_dir)
        return
    rows = [[sid, lo, hi] for sid in sorted(stones) for lo, hi in stones[sid]]
    tmp = block_dir / (FILE + ".tmp")
    write_durably(tmp, json.dumps({"version": _VERSION, "tombstones": rows}).encode())
    os.replace(tmp, path)
    fsync_dir(block_dir)
