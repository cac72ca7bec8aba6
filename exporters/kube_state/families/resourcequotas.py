"""ResourceQuota families (``--resources=resourcequotas``): identity
``namespace, resourcequota``."""

from __future__ import annotations

from .base import Family, Obj, Options, Sample, created, md, meta_families, quantity, status

RESOURCE = "resourcequotas"
GO_TYPE = "*v1.ResourceQuota"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("resourcequota", m.get("name", ""))]


def _quota(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for kind in ("hard", "used"):
        values = status(o).get(kind) or {}
        for res in sorted(values):
            v = quantity(values[res])
            if v is not None:
                out.append(([("resource", res), ("type", kind)], v))
    return out


def families(opts: Options) -> list[Family]:
    return [
        *meta_families(RESOURCE, "resourcequota", opts),
        created("resourcequota"),
        Family("kube_resourcequota", "Information about resource quota.", _quota),
    ]
