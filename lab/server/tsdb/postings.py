"""Postings: label pair -> sorted series ids, and matcher evaluation over them.

The head keeps ``MemPostings`` (growable id arrays; ids are handed out in
increasing order, so appending keeps every list sorted). Blocks keep the same
mapping read from their index. ``select_ids`` works over either: each matcher
becomes one sorted id array — a regex is evaluated once per distinct value of
its label, never per series — and the arrays are intersected smallest first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType

I64 = npt.NDArray[np.int64]

_EMPTY: I64 = np.zeros(0, dtype=np.int64)


class PostingsSource(Protocol):
    def postings_for_name(self, name: str) -> Mapping[str, I64]:
        """value -> sorted ids of the series with ``name=value``."""
        ...

    def all_ids(self) -> I64: ...


class IdList:
    """A growable sorted int64 array (amortised doubling)."""

    __slots__ = ("_buf", "_n")

    def __init__(self) -> None:
        self._buf: I64 = np.empty(4, dtype=np.int64)
        self._n = 0

    def append(self, ref: int) -> None:
        if self._n == self._buf.size:
            grown = np.empty(self._buf.size * 2, dtype=np.int64)
            grown[: self._n] = self._buf
            self._buf = grown
        self._buf[self._n] = ref
        self._n += 1

    def view(self) -> I64:
        return self._buf[: self._n]

    def __len__(self) -> int:
        return self._n


class _Values(Mapping[str, I64]):
    """A read view of one label name's value -> ids, materialising arrays lazily."""

    __slots__ = ("_lists",)

    def __init__(self, lists: dict[str, IdList]) -> None:
        self._lists = lists

    def __getitem__(self, key: str) -> I64:
        return self._lists[key].view()

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)


class MemPostings:
    """The head's postings: ``{name: {value: IdList}}`` plus all live ids."""

    def __init__(self) -> None:
        self._index: dict[str, dict[str, IdList]] = {}
        self._all = IdList()

    def add(self, ref: int, labels: Labels) -> None:
        """Index a new series; ``ref`` must exceed every ref added before."""
        for name, value in labels:
            values = self._index.get(name)
            if values is None:
                values = self._index[name] = {}
            ids = values.get(value)
            if ids is None:
                ids = values[value] = IdList()
            ids.append(ref)
        self._all.append(ref)

    def postings_for_name(self, name: str) -> Mapping[str, I64]:
        return _Values(self._index.get(name, {}))

    def all_ids(self) -> I64:
        return self._all.view()

    def label_names(self) -> list[str]:
        return sorted(self._index)

    def items(self) -> dict[str, dict[str, IdList]]:
        return self._index


def _union(arrays: Sequence[I64]) -> I64:
    if not arrays:
        return _EMPTY
    if len(arrays) == 1:
        return arrays[0]
    out: I64 = np.unique(np.concatenate(arrays))
    return out


def ids_for_matcher(m: Matcher, source: PostingsSource) -> I64:
    """Sorted ids of the series ``m`` accepts (a missing label matches as "")."""
    values = source.postings_for_name(m.name)
    if m.type is MatchType.EQUAL and m.value != "":
        return values.get(m.value, _EMPTY)
    if m.matches(""):
        # Series without the label match too: everything minus the values m rejects.
        rejected = [ids for value, ids in values.items() if not m.matches(value)]
        if not rejected:
            return source.all_ids()
        out: I64 = np.setdiff1d(source.all_ids(), _union(rejected), assume_unique=True)
        return out
    return _union([ids for value, ids in values.items() if m.matches(value)])


def select_ids(matchers: Sequence[Matcher], source: PostingsSource) -> I64:
    """Sorted ids of the series every matcher accepts (all series for no matchers)."""
    if not matchers:
        return source.all_ids()
    sets = sorted((ids_for_matcher(m, source) for m in matchers), key=len)
    result = sets[0]
    for other in sets[1:]:
        if result.size == 0:
            break
        result = np.intersect1d(result, other, assume_unique=True)
    return result
