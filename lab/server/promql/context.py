"""The evaluation context shared by the engine and every operator/function."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lab.server.promql.values import I64


@dataclass(slots=True)
class Annotations:
    """Warnings and infos collected during evaluation, upstream's texts
    (``PromQL warning: ...`` / ``PromQL info: ...``); deduplicated, ordered."""

    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def info(self, message: str) -> None:
        if message not in self.infos:
            self.infos.append(message)


@dataclass(slots=True)
class EvalContext:
    """Where a (sub)expression is evaluated: step timestamps and limits.

    ``times`` (T,) int64 ms are the evaluation timestamps. For the top-level
    query they are ``start, start+step, ..., end``; a subquery evaluates its
    inner expression in a child context with its own times.
    """

    start_ms: int
    end_ms: int
    step_ms: int
    lookback_ms: int = 5 * 60 * 1000
    max_samples: int = 50_000_000
    annotations: Annotations = field(default_factory=Annotations)
    #: samples currently held by the evaluation, checked against max_samples
    samples_in_use: int = 0

    @property
    def times(self) -> I64:
        step = max(self.step_ms, 1)
        return np.arange(self.start_ms, self.end_ms + 1, step, dtype=np.int64)

    @property
    def num_steps(self) -> int:
        if self.end_ms < self.start_ms:
            return 0
        return (self.end_ms - self.start_ms) // max(self.step_ms, 1) + 1
