"""The DB's querier: one read view over the head and every overlapping block.

Each source answers ``select`` with series sorted by labels; series present in
several sources (a block and the head around a compaction, overlapping
imported blocks) are merged by timestamp, an identical timestamp kept once
(the older source's value, as after a crash between writing a compacted block
and deleting its parents both hold the same samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from lab.model.labels import Labels
from lab.model.matcher import Matcher
from lab.server.storage.interface import Series
from lab.server.tsdb.block import Block


class _Source(Protocol):
    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[Series]: ...

    def series_labels(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[Labels]: ...


def merge_series_lists(lists: Sequence[list[Series]]) -> list[Series]:
    non_empty = [lst for lst in lists if lst]
    if len(non_empty) <= 1:
        return non_empty[0] if non_empty else []
    parts: dict[Labels, list[Series]] = {}
    for lst in non_empty:
        for s in lst:
            parts.setdefault(s.labels, []).append(s)
    out = []
    for labels in sorted(parts):
        p = parts[labels]
        if len(p) == 1:
            out.append(p[0])
            continue
        ts = np.concatenate([s.timestamps for s in p])
        vs = np.concatenate([s.values for s in p])
        order = np.argsort(ts, kind="stable")
        ts, vs = ts[order], vs[order]
        first = np.ones(ts.size, dtype=bool)
        first[1:] = ts[1:] != ts[:-1]
        out.append(Series(labels, ts[first], vs[first]))
    return out


class DBQuerier:
    """``Querier`` over ``[mint, maxt]``; holds its blocks until ``close``."""

    def __init__(self, sources: Sequence[_Source], blocks: Sequence[Block], mint: int, maxt: int):
        self._sources = list(sources)
        self._blocks = list(blocks)
        self._mint = mint
        self._maxt = maxt
        self._closed = False

    def select(self, matchers: Sequence[Matcher]) -> list[Series]:
        return merge_series_lists(
            [src.select(matchers, self._mint, self._maxt) for src in self._sources]
        )

    def _labels(self, matchers: Sequence[Matcher]) -> set[Labels]:
        out: set[Labels] = set()
        for src in self._sources:
            out.update(src.series_labels(matchers, self._mint, self._maxt))
        return out

    def label_names(self, matchers: Sequence[Matcher] = ()) -> list[str]:
        return sorted({name for labels in self._labels(matchers) for name, _ in labels})

    def label_values(self, name: str, matchers: Sequence[Matcher] = ()) -> list[str]:
        values = {labels.get(name) for labels in self._labels(matchers)}
        values.discard("")
        return sorted(values)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            for b in self._blocks:
                b.release()

    def __enter__(self) -> DBQuerier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
