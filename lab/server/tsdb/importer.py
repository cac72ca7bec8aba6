"""Backfill: an OpenMetrics file with timestamps -> blocks (``promtool tsdb
create-blocks-from openmetrics``).

The whole input is parsed and checked before anything is written, so invalid
input leaves the output directory as it was (not even created). Samples are
cut into blocks aligned to ``block_duration_ms``; each block's range is that of
its samples (maxTime exclusive), as promtool writes them. A series repeating a
timestamp keeps the value written last in the file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from exporters.common.exposition import NO_TIMESTAMP, ExpositionError, parse_openmetrics
from lab.model.labels import Labels
from lab.server.tsdb.block import BlockMeta, SeriesData, new_ulid, write_block
from lab.server.tsdb.compact import DEFAULT_BLOCK_RANGE_MS
from lab.server.tsdb.errors import ImportInputError
from lab.server.tsdb.fileutil import remove_tree


def _sample_line(text: str, index: int) -> tuple[int, int]:
    """1-based line of sample ``index`` and the column just past its end."""
    seen = -1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("#"):
            continue
        seen += 1
        if seen == index:
            return number, len(line) + 1
    return 0, 0


def plan_blocks(
    data: bytes, block_duration_ms: int = DEFAULT_BLOCK_RANGE_MS
) -> list[list[SeriesData]]:
    """Parse and group ``data`` into per-block series (oldest block first)."""
    try:
        batch = parse_openmetrics(data)
    except ExpositionError as exc:
        raise ImportInputError(str(exc)) from None
    n = len(batch)
    if n == 0:
        return []
    missing = np.flatnonzero(batch.timestamps == NO_TIMESTAMP)
    if missing.size:
        i = int(missing[0])
        line, col = _sample_line(data.decode("utf-8"), i)
        raise ImportInputError(
            f"line {line}, col {col}: expected timestamp for series {batch.labels[i]}, got none"
        )
    ids: dict[Labels, int] = {}
    sid = np.fromiter((ids.setdefault(lb, len(ids)) for lb in batch.labels), np.int64, n)
    ts = batch.timestamps
    window = np.floor_divide(ts, block_duration_ms)
    order = np.lexsort((ts, sid, window))  # stable: equal keys keep file order
    sid, ts, window, vs = sid[order], ts[order], window[order], batch.values[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = (sid[1:] != sid[:-1]) | (ts[1:] != ts[:-1])
    sid, ts, window, vs = sid[last], ts[last], window[last], vs[last]
    labels_of = list(ids)
    blocks: list[list[SeriesData]] = []
    cuts = np.flatnonzero((window[1:] != window[:-1]) | (sid[1:] != sid[:-1])) + 1
    starts = np.concatenate([[0], cuts]).tolist()
    ends = np.concatenate([cuts, [sid.size]]).tolist()
    current = None
    for lo, hi in zip(starts, ends, strict=True):
        if window[lo] != current:
            current = window[lo]
            blocks.append([])
        blocks[-1].append(SeriesData(labels_of[int(sid[lo])], ts[lo:hi], vs[lo:hi]))
    return blocks


def import_openmetrics(
    data: bytes,
    out_dir: Path,
    *,
    block_duration_ms: int = DEFAULT_BLOCK_RANGE_MS,
    now_ms: Callable[[], int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[BlockMeta]:
    """Write blocks for the OpenMetrics ``data`` into ``out_dir``; returns their metas."""
    return write_blocks(plan_blocks(data, block_duration_ms), out_dir, now_ms, progress)


def write_blocks(
    blocks: list[list[SeriesData]],
    out_dir: Path,
    now_ms: Callable[[], int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[BlockMeta]:
    """Write planned blocks; ``progress`` gets the sample count after each block.

    On any error the blocks written so far are removed (and ``out_dir`` if we
    made it).
    """
    if not blocks:
        return []
    created_dir = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = now_ms or _wall_ms
    written: list[BlockMeta] = []
    try:
        for series in blocks:
            mint = min(int(s.timestamps[0]) for s in series)
            maxt = max(int(s.timestamps[-1]) for s in series) + 1
            meta = write_block(out_dir, series, mint, maxt, new_ulid(clock()))
            written.append(meta)
            if progress is not None:
                progress(meta.num_samples)
    except BaseException:
        for meta in written:
            remove_tree(out_dir / meta.ulid)
        if created_dir:
            with contextlib.suppress(OSError):
                remove_tree(out_dir)
        raise
    return written


def _wall_ms() -> int:
    import time

    return int(time.time() * 1000)
