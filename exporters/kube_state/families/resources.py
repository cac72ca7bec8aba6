"""Resource quantities as KSM labels them: ``resource`` (sanitised name) and
``unit`` (``core``, ``byte``, ``integer``), values in base units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import quantity, sanitize


def resource_unit(name: str) -> tuple[str, str]:
    if name == "cpu":
        return "cpu", "core"
    if name in ("memory", "storage", "ephemeral-storage") or name.startswith(
        ("hugepages-", "attachable-volumes-")
    ):
        return sanitize(name), "byte"
    return sanitize(name), "integer"


def resource_samples(resources: Mapping[str, Any] | None) -> list[tuple[str, str, float]]:
    """``[(resource, unit, value)]`` for a ResourceList, in sorted name order."""
    out = []
    for name in sorted(resources or {}):
        value = quantity((resources or {})[name])
        if value is None:
            continue
        res, unit = resource_unit(name)
        out.append((res, unit, value))
    return out
