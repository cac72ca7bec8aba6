"""The parser's output: one columnar batch per payload, not one object per sample.

A ``SampleBatch`` holds, per sample, the metric name, the label set (a
``Labels`` with ``__name__``), the value, the timestamp and the series text as
it appeared in the payload (name and label block, e.g. ``up{job="x"}``), which a
scraper can use as a cache key for series identity as Prometheus does. Per
family it holds a ``FamilyMeta``; ``family[i]`` is the index of sample ``i``'s
family in ``families``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels

from .formats import ExpositionFormat

#: ``timestamps[i]`` for a sample written without a timestamp. The one int64
#: this excludes is refused by the parser as out of range.
NO_TIMESTAMP: Final = -(2**63)


@dataclass(frozen=True, slots=True)
class FamilyMeta:
    """A metric family's metadata.

    ``type`` is the TYPE word as the format writes it: ``counter``, ``gauge``,
    ``histogram``, ``summary``, ``untyped`` (text) or ``unknown``,
    ``gaugehistogram``, ``stateset``, ``info`` (OpenMetrics); a family without a
    TYPE line is ``untyped`` / ``unknown``. ``help`` and ``unit`` are None when
    absent (an empty OpenMetrics HELP/UNIT counts as absent, as the spec says).
    """

    name: str
    type: str
    help: str | None = None
    unit: str | None = None


@dataclass(eq=False, slots=True)
class SampleBatch:
    """Samples of one payload in columns; see the module docstring."""

    format: ExpositionFormat
    families: list[FamilyMeta]
    family: npt.NDArray[np.int32]
    names: list[str]
    series: list[str]
    labels: list[Labels]
    values: npt.NDArray[np.float64]
    timestamps: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.names)

    def has_timestamp(self) -> npt.NDArray[np.bool_]:
        mask: npt.NDArray[np.bool_] = self.timestamps != NO_TIMESTAMP
        return mask

    def timestamps_or(self, default_ms: int) -> npt.NDArray[np.int64]:
        """Timestamps with ``default_ms`` (e.g. the scrape time) where none was given."""
        return np.where(self.has_timestamp(), self.timestamps, np.int64(default_ms))

    def family_of(self, index: int) -> FamilyMeta:
        return self.families[int(self.family[index])]

    def samples(self) -> Iterator[tuple[Labels, float, int | None]]:
        """``(labels, value, timestamp_ms or None)`` per sample: convenient, not fast."""
        for labels, value, ts in zip(
            self.labels, self.values.tolist(), self.timestamps.tolist(), strict=True
        ):
            yield labels, value, (None if ts == NO_TIMESTAMP else ts)

    @classmethod
    def empty(cls, fmt: ExpositionFormat) -> SampleBatch:
        return cls(
            fmt,
            [],
            np.zeros(0, np.int32),
            [],
            [],
            [],
            np.zeros(0, np.float64),
            np.zeros(0, np.int64),
        )
