"""Values the evaluator passes between nodes, for ALL steps of a query at once.

A query is evaluated at ``T`` step timestamps (``EvalContext.times``, int64 ms;
an instant query is a range query with T == 1). Every value therefore carries
a step axis:

* ``Scalar``: ``values`` of shape (T,).
* ``InstantVector``: S series; ``values`` (S, T) float64 and ``present`` (S, T)
  bool (a series has a sample at a step or not; NaN is a legitimate value, so
  presence is never encoded as NaN). ``drop_name`` (S,) marks series whose
  ``__name__`` is to be removed at the end of evaluation (Prometheus 3.x
  delayed name removal); ``labels`` still carry the name until then.
* ``RangeVector``: S series of raw samples plus, for each step, the slice of
  samples inside that step's window ``(t - range, t]``: ``lo``/``hi`` (S, T)
  int64 indices into the series' arrays. Range functions reduce these windows
  with whole-array numpy operations (cumulative sums, reduceat, searchsorted).
* ``StringValue``: a string literal (only as a function argument or result).

Series identity inside a vector is ``labels``; two series in one vector never
share labels at the same step once names are dropped (the engine checks this
and raises upstream's "vector cannot contain metrics with the same labelset").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
BOOL = npt.NDArray[np.bool_]


@dataclass(slots=True)
class Scalar:
    values: F64  # (T,)


@dataclass(slots=True)
class StringValue:
    value: str


@dataclass(slots=True)
class InstantVector:
    labels: list[Labels]
    values: F64  # (S, T)
    present: BOOL  # (S, T)
    drop_name: BOOL = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (S,)

    def __post_init__(self) -> None:
        if self.drop_name.shape[0] != len(self.labels):
            self.drop_name = np.zeros(len(self.labels), dtype=bool)

    @classmethod
    def empty(cls, steps: int) -> InstantVector:
        return cls([], np.zeros((0, steps)), np.zeros((0, steps), dtype=bool))

    @property
    def num_series(self) -> int:
        return len(self.labels)


@dataclass(slots=True)
class RangeSeries:
    labels: Labels
    timestamps: I64  # (N,) ms, increasing; staleness markers already removed
    values: F64  # (N,)


@dataclass(slots=True)
class RangeVector:
    series: list[RangeSeries]
    lo: I64  # (S, T): first sample index in the window of each step
    hi: I64  # (S, T): one past the last sample index in the window
    range_ms: int  # the window length d of (t - d, t]
    drop_name: BOOL = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (S,)

    def __post_init__(self) -> None:
        if self.drop_name.shape[0] != len(self.series):
            self.drop_name = np.zeros(len(self.series), dtype=bool)


Value = Scalar | StringValue | InstantVector | RangeVector
