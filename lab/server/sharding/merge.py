"""``MergeQueryable``: one ``Queryable`` over several (shards, replicas, remote
stores), selecting from all of them in parallel and merging the results.

Series with the same labels are merged with ``dedup.chain``; with a
``replica_label``, series equal but for that label are deduplicated with
``dedup.dedup`` and returned without it (the replica label also disappears
from label names and values).

A store that fails fails the query with a ``StoreError`` naming it — a
silently partial answer would look like data loss on a dashboard — unless
``partial_response`` is on (as Thanos Query's ``--query.partial-response``):
then the stores that answered make the result, each failed one adds a warning
naming it to the querier's ``warnings`` (the PromQL engine passes them on to
the API answer's ``warnings``), and only a query where every store failed
fails. An HA pair needs it: with one replica down, the other one's data is
the whole answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from lab.model.errors import LabError
from lab.model.labels import Labels
from lab.model.matcher import Matcher
from lab.server.sharding.dedup import chain, dedup
from lab.server.sharding.errors import StoreError
from lab.server.storage.interface import Querier, Queryable, Series

T = TypeVar("T")


class MergeQueryable:
    def __init__(
        self,
        stores: Sequence[Queryable],
        *,
        replica_label: str = "",
        names: Sequence[str] = (),
        max_workers: int = 8,
        partial_response: bool = False,
    ) -> None:
        self.stores = list(stores)
        self.names = list(names) or [f"store {i}" for i in range(len(self.stores))]
        self.replica_label = replica_label
        self.partial_response = partial_response
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(max_workers, len(self.stores))), thread_name_prefix="merge"
        )

    def querier(self, mint_ms: int, maxt_ms: int) -> MergeQuerier:
        return MergeQuerier(self, mint_ms, maxt_ms)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class MergeQuerier:
    def __init__(self, q: MergeQueryable, mint_ms: int, maxt_ms: int) -> None:
        self._q = q
        self._mint = mint_ms
        self._maxt = maxt_ms
        #: one per store that failed while ``partial_response`` let the query go on
        self.warnings: list[str] = []

    def _each(self, fn: Callable[[Querier], T]) -> list[T]:
        def run(i: int) -> T | StoreError:
            try:
                querier = self._q.stores[i].querier(self._mint, self._maxt)
                try:
                    return fn(querier)
                finally:
                    querier.close()
            except (LabError, OSError) as exc:
                return StoreError(f"{self._q.names[i]}: {exc}")

        n = len(self._q.stores)
        outcomes = [run(0)] if n == 1 else list(self._q._pool.map(run, range(n)))
        answers = [o for o in outcomes if not isinstance(o, StoreError)]
        failed = [o for o in outcomes if isinstance(o, StoreError)]
        if failed and (not self._q.partial_response or not answers):
            raise failed[0]
        for exc in failed:
            warning = f"partial response: store {exc}"
            if warning not in self.warnings:
                self.warnings.append(warning)
        return answers

    def select(self, matchers: Sequence[Matcher]) -> list[Series]:
        results = self._each(lambda querier: querier.select(matchers))
        rl = self._q.replica_label
        groups: dict[Labels, list[tuple[str, Series]]] = {}
        for series in results:
            for s in series:
                key = s.labels.without(rl) if rl else s.labels
                groups.setdefault(key, []).append((s.labels.get(rl) if rl else "", s))
        out: list[Series] = []
        for key, members in groups.items():
            by_replica: dict[str, list[Series]] = {}
            for replica, s in members:
                by_replica.setdefault(replica, []).append(s)
            merged = [(r, chain(key, ss)) for r, ss in by_replica.items()]
            out.append(merged[0][1] if len(merged) == 1 else dedup(key, merged))
        out.sort(key=lambda s: s.labels)
        return out

    def label_names(self, matchers: Sequence[Matcher] = ()) -> list[str]:
        names: set[str] = set()
        for r in self._each(lambda querier: querier.label_names(matchers)):
            names.update(r)
        names.discard(self._q.replica_label)
        return sorted(names)

    def label_values(self, name: str, matchers: Sequence[Matcher] = ()) -> list[str]:
        if name == self._q.replica_label and name:
            return []
        values: set[str] = set()
        for r in self._each(lambda querier: querier.label_values(name, matchers)):
            values.update(r)
        return sorted(values)

    def close(self) -> None:
        pass
