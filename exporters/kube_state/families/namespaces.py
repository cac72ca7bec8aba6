"""Namespace families (``--resources=namespaces``): identity ``namespace``."""

from __future__ import annotations

from .base import (
    Family,
    Obj,
    Options,
    Sample,
    condition_values,
    conditions,
    created,
    md,
    meta_families,
    status,
)

RESOURCE = "namespaces"
GO_TYPE = "*v1.Namespace"
PHASES = ("Active", "Terminating")


def identity(obj: Obj) -> list[tuple[str, str]]:
    return [("namespace", md(obj).get("name", ""))]


def _phase(o: Obj) -> list[Sample]:
    phase = status(o).get("phase", "")
    if not phase:
        return []
    return [([("phase", p)], 1.0 if p == phase else 0.0) for p in PHASES]


def _conditions(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for c in conditions(o):
        for labels, value in condition_values(str(c.get("status", ""))):
            out.append(([("condition", str(c.get("type", ""))), *labels], value))
    return out


def families(opts: Options) -> list[Family]:
    return [
        *meta_families(RESOURCE, "namespace", opts),
        created("namespace"),
        Family("kube_namespace_status_phase", "kubernetes namespace status phase.", _phase),
        Family("kube_namespace_status_condition", "The condition of a namespace.", _conditions),
    ]
