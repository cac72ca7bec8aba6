"""The storage seams: how data goes in (Appendable) and comes out (Queryable).

Everything that writes (scrape loops, recording rules, scenarios, remote
write) holds an ``Appendable``; everything that reads (the PromQL engine, the
HTTP API, federation) holds a ``Queryable``. The TSDB, the in-memory store,
a fan-out over shards and a remote-read client all implement these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.model.matcher import Matcher


@dataclass(frozen=True, slots=True)
class Series:
    """One series' samples in a time range, oldest first.

    ``timestamps`` are int64 milliseconds, strictly increasing; ``values`` are
    float64 and may hold the staleness marker (``lab.model.value.STALE_NAN``).
    """

    labels: Labels
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


class Querier(Protocol):
    """A read view over ``[mint_ms, maxt_ms]``, obtained from a Queryable."""

    def select(self, matchers: Sequence[Matcher]) -> list[Series]:
        """Series matching all matchers, with their samples in the querier's range,
        sorted by labels. A series with no sample in the range may be omitted."""
        ...

    def label_names(self, matchers: Sequence[Matcher] = ()) -> list[str]: ...

    def label_values(self, name: str, matchers: Sequence[Matcher] = ()) -> list[str]: ...

    def close(self) -> None: ...


class Queryable(Protocol):
    def querier(self, mint_ms: int, maxt_ms: int) -> Querier: ...


class Appender(Protocol):
    """A transaction: nothing is visible (or durable) before ``commit``.

    An appender whose ``commit`` blocks on I/O (an fsync) may say so with a
    ``commit_waits_on_io = True`` attribute; event-loop callers then run the
    commit in a worker thread.
    """

    def append(self, labels: Labels, t_ms: int, value: float) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


@runtime_checkable
class BatchAppender(Appender, Protocol):
    """An appender that also takes many samples of series it already holds in one
    call (the scrape loop's steady state: one sample per known series).

    Optional: writers check ``isinstance(app, BatchAppender)`` and fall back to
    ``append``. Both may be used in one transaction.
    """

    def series_ref(self, labels: Labels) -> int | None:
        """The storage's reference for a series it holds (committed), else None.
        A reference stays valid while the series is held; ``append_batch`` raises
        ``UnknownSeriesError`` for one that is not held any more."""
        ...

    def append_batch(
        self,
        refs: npt.NDArray[np.int64],
        ts: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.bool_]:
        """Append ``values[i]`` at ``ts[i]`` to series ``refs[i]`` (refs unique).

        Unlike ``append``, a sample out of order, repeating its series' newest
        timestamp with another value, or older than the storage accepts is
        skipped, not raised (the scrape loop skips them one by one anyway);
        returns which samples were taken (an exact repeat counts as taken).
        """
        ...


class Appendable(Protocol):
    def appender(self) -> Appender: ...
