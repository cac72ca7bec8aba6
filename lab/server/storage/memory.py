"""An in-memory storage: per-series numpy columns and a postings index.

It implements both seams (``Appendable`` and ``Queryable``) and is what the
PromQL test runner, unit tests and small scenarios use. It is not durable.

Samples may arrive in any order (the promqltest ``load`` command adds blocks
that start again at t = 0); a commit merges them into the sorted columns, and
a repeated timestamp keeps the newest value written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.storage.errors import UnknownSeriesError
from lab.server.storage.interface import Series

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


class _Column:
    """One series' samples, sorted by timestamp."""

    __slots__ = ("timestamps", "values")

    def __init__(self) -> None:
        self.timestamps: I64 = np.zeros(0, dtype=np.int64)
        self.values: F64 = np.zeros(0, dtype=np.float64)

    def merge(self, ts: I64, vs: F64) -> None:
        if ts.size == 0:
            return
        appending = self.timestamps.size == 0 or ts[0] > self.timestamps[-1]
        if appending and bool(np.all(np.diff(ts) > 0)):
            self.timestamps = np.concatenate([self.timestamps, ts])
            self.values = np.concatenate([self.values, vs])
            return
        all_ts = np.concatenate([self.timestamps, ts])
        all_vs = np.concatenate([self.values, vs])
        # A stable sort keeps arrival order among equal timestamps, so taking the
        # last of each run makes the newest write win.
        order = np.argsort(all_ts, kind="stable")
        all_ts = all_ts[order]
        all_vs = all_vs[order]
        last = np.ones(all_ts.size, dtype=bool)
        last[:-1] = all_ts[1:] != all_ts[:-1]
        self.timestamps = all_ts[last]
        self.values = all_vs[last]


class MemoryStorage:
    """``Appendable`` + ``Queryable`` backed by dicts of numpy arrays."""

    def __init__(self) -> None:
        self._columns: dict[Labels, _Column] = {}
        # label name -> label value -> set of series
        self._postings: dict[str, dict[str, set[Labels]]] = defaultdict(lambda: defaultdict(set))
        # BatchAppender references: an index into _ref_labels, one per series ever held.
        self._refs: dict[Labels, int] = {}
        self._ref_labels: list[Labels] = []

    # -- writing ---------------------------------------------------------------

    def appender(self) -> MemoryAppender:
        return MemoryAppender(self)

    def add_series(
        self,
        labels: Labels,
        timestamps: I64 | Sequence[int],
        values: F64 | Sequence[float],
    ) -> None:
        """Bulk-add samples of one series (any order; duplicates: last wins).

        Numpy columns are taken as they are (no per-sample conversion); lists
        are converted once."""
        ts = np.asarray(timestamps, dtype=np.int64)
        vs = np.asarray(values, dtype=np.float64)
        self._add_arrays(labels, ts, vs)

    def _add_arrays(self, labels: Labels, ts: I64, vs: F64) -> None:
        if ts.size == 0:
            return
        col = self._columns.get(labels)
        if col is None:
            col = _Column()
            self._columns[labels] = col
            if labels not in self._refs:
                self._refs[labels] = len(self._ref_labels)
                self._ref_labels.append(labels)
            for name, value in labels:
                self._postings[name][value].add(labels)
        if ts.size > 1 and not np.all(np.diff(ts) > 0):
            order = np.argsort(ts, kind="stable")
            ts, vs = ts[order], vs[order]
            last = np.ones(ts.size, dtype=bool)
            last[:-1] = ts[1:] != ts[:-1]
            ts, vs = ts[last], vs[last]
        col.merge(ts, vs)

    def clear(self) -> None:
        self._columns.clear()
        self._postings.clear()

    # -- reading ---------------------------------------------------------------

    def querier(self, mint_ms: int, maxt_ms: int) -> MemoryQuerier:
        return MemoryQuerier(self, mint_ms, maxt_ms)

    def all_labels(self) -> list[Labels]:
        return sorted(self._columns)

    def _candidates(self, matchers: Sequence[Matcher]) -> Iterable[Labels]:
        """Narrow with the postings of equality matchers on a non-empty value."""
        best: set[Labels] | None = None
        for m in matchers:
            if m.type is MatchType.EQUAL and m.value != "":
                hit = self._postings.get(m.name, {}).get(m.value, set())
                if best is None or len(hit) < len(best):
                    best = hit
        return self._columns.keys() if best is None else best

    def _select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[Series]:
        out: list[Series] = []
        for labels in self._candidates(matchers):
            if not all(m.matches(labels.get(m.name)) for m in matchers):
                continue
            col = self._columns[labels]
            lo = int(np.searchsorted(col.timestamps, mint, side="left"))
            hi = int(np.searchsorted(col.timestamps, maxt, side="right"))
            if hi <= lo:
                continue
            out.append(Series(labels, col.timestamps[lo:hi], col.values[lo:hi]))
        out.sort(key=lambda s: s.labels)
        return out


class MemoryQuerier:
    def __init__(self, storage: MemoryStorage, mint_ms: int, maxt_ms: int) -> None:
        self._storage = storage
        self._mint = mint_ms
        self._maxt = maxt_ms

    def select(self, matchers: Sequence[Matcher]) -> list[Series]:
        return self._storage._select(matchers, self._mint, self._maxt)

    def label_names(self, matchers: Sequence[Matcher] = ()) -> list[str]:
        names: set[str] = set()
        for s in self.select(matchers):
            names.update(s.labels.names())
        return sorted(names)

    def label_values(self, name: str, matchers: Sequence[Matcher] = ()) -> list[str]:
        values = {s.labels.get(name) for s in self.select(matchers)}
        values.discard("")
        return sorted(values)

    def close(self) -> None:
        pass


class MemoryAppender:
    """Buffers samples; ``commit`` merges them in, ``rollback`` forgets them.

    A ``BatchAppender``: samples may arrive in any order here, so
    ``append_batch`` takes every sample.
    """

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        self._pending: dict[Labels, tuple[list[int], list[float]]] = {}

    def append(self, labels: Labels, t_ms: int, value: float) -> None:
        ts, vs = self._pending.setdefault(labels, ([], []))
        ts.append(t_ms)
        vs.append(value)

    def series_ref(self, labels: Labels) -> int | None:
        if labels not in self._storage._columns:
            return None
        return self._storage._refs[labels]

    def append_batch(self, refs: I64, ts: I64, values: F64) -> npt.NDArray[np.bool_]:
        held = self._storage._ref_labels
        ref_list = refs.tolist()
        if any(not 0 <= r < len(held) for r in ref_list):
            raise UnknownSeriesError("unknown series reference")
        for r, t, v in zip(ref_list, ts.tolist(), values.tolist(), strict=True):
            self.append(held[r], t, v)
        return np.ones(len(ref_list), dtype=np.bool_)

    def commit(self) -> None:
        for labels, (ts, vs) in self._pending.items():
            self._storage.add_series(labels, ts, vs)
        self._pending = {}

    def rollback(self) -> None:
        self._pending = {}
