"""Shared pieces of the workload families (deployments, daemonsets,
statefulsets, replicasets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Family, Obj, Sample, md, number, number_or_zero, spec, status


def status_field(name: str, help_text: str, field: str, *, zero: bool = True) -> Family:
    get: Callable[[Obj], Any] = lambda o: status(o).get(field)  # noqa: E731
    return Family(name, help_text, number_or_zero(get) if zero else number(get))


def spec_field(name: str, help_text: str, field: str, default: float | None = None) -> Family:
    def gen(o: Obj) -> list[Sample]:
        v = spec(o).get(field, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return []
        return [((), float(v))]

    return Family(name, help_text, gen)


def generation(singular: str) -> Family:
    return Family(
        f"kube_{singular}_metadata_generation",
        "Sequence number representing a specific generation of the desired state.",
        number_or_zero(lambda o: md(o).get("generation")),
    )
