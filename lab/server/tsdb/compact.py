"""Compaction planning and merging, and retention: which blocks to merge or drop.

Block ranges grow by a factor of 3 from the head's block range (2h, 6h, 18h,
54h ...), capped by ``max_block_duration``. A group of blocks inside one
aligned window of the next range is merged when the group spans the window
or lies in the past. Blocks
that overlap (an import next to live data) are merged first, whatever their
size. The newest block is left alone until a newer one exists, as upstream
does, so a fresh block can be backed up before it is rewritten; a window not
yet full is merged only once it ends before the newest remaining block starts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lab.model.labels import Labels
from lab.server.tsdb.block import Block, BlockMeta, SeriesData

HOUR_MS = 3_600_000
DEFAULT_BLOCK_RANGE_MS = 2 * HOUR_MS
MAX_BLOCK_DURATION_MS = 31 * 24 * HOUR_MS


def block_ranges(base_ms: int, max_duration_ms: int) -> list[int]:
    ranges = [base_ms]
    while ranges[-1] * 3 <= max_duration_ms and len(ranges) < 10:
        ranges.append(ranges[-1] * 3)
    return ranges


def plan(metas: Sequence[BlockMeta], ranges: Sequence[int]) -> list[BlockMeta]:
    """The blocks to merge next (empty: nothing to do)."""
    ordered = sorted(metas, key=lambda m: (m.min_time, m.max_time))
    overlapping = _first_overlap(ordered)
    if overlapping:
        return overlapping
    if len(ordered) < 2:
        return []
    candidates = ordered[:-1]
    high_time = candidates[-1].min_time
    for rng in ranges[1:]:
        groups: dict[int, list[BlockMeta]] = {}
        for m in candidates:
            start = m.min_time - m.min_time % rng
            if m.max_time <= start + rng:
                groups.setdefault(start, []).append(m)
        for start in sorted(groups):
            group = groups[start]
            if len(group) < 2:
                continue
            span = group[-1].max_time - group[0].min_time
            if span == rng or group[-1].max_time <= high_time:
                return group
    return []


def _first_overlap(ordered: Sequence[BlockMeta]) -> list[BlockMeta]:
    group: list[BlockMeta] = []
    group_max = 0
    for m in ordered:
        if group and m.min_time < group_max:
            group.append(m)
            group_max = max(group_max, m.max_time)
        elif len(group) > 1:
            return group
        else:
            group, group_max = [m], m.max_time
    return group if len(group) > 1 else []


def merge_series(blocks: Sequence[Block]) -> list[SeriesData]:
    """All series of ``blocks``, one per label set, samples sorted, identical
    timestamps kept once (the first block's value wins)."""
    parts: dict[Labels, list[SeriesData]] = {}
    for b in blocks:
        for s in b.all_series():
            parts.setdefault(s.labels, []).append(s)
    return [merge_samples(labels, p) for labels, p in parts.items()]


def merge_samples(labels: Labels, parts: Sequence[SeriesData]) -> SeriesData:
    if len(parts) == 1:
        return parts[0]
    ts = np.concatenate([p.timestamps for p in parts])
    vs = np.concatenate([p.values for p in parts])
    if ts.size > 1 and not bool(np.all(np.diff(ts) > 0)):
        order = np.argsort(ts, kind="stable")
        ts, vs = ts[order], vs[order]
        first = np.ones(ts.size, dtype=bool)
        first[1:] = ts[1:] != ts[:-1]
        ts, vs = ts[first], vs[first]
    return SeriesData(labels, ts, vs)


def beyond_retention(
    metas: Sequence[BlockMeta],
    retention_ms: int | None,
    retention_bytes: int | None,
    sizes: dict[str, int],
    extra_bytes: int = 0,
) -> list[BlockMeta]:
    """Blocks to delete: older than ``retention_ms`` before the newest block's end,
    then the oldest until blocks plus ``extra_bytes`` (the WAL) fit ``retention_bytes``."""
    newest_first = sorted(metas, key=lambda m: m.max_time, reverse=True)
    doomed: list[BlockMeta] = []
    if retention_ms and newest_first:
        top = newest_first[0].max_time
        doomed = [m for m in newest_first if top - m.max_time > retention_ms]
    if retention_bytes:
        kept = [m for m in newest_first if m not in doomed]
        total = extra_bytes + sum(sizes.get(m.ulid, 0) for m in kept)
        while kept and total > retention_bytes:
            m = kept.pop()
            total -= sizes.get(m.ulid, 0)
            doomed.append(m)
    return doomed
