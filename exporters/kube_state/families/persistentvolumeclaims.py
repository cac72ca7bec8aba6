"""PersistentVolumeClaim families (``--resources=persistentvolumeclaims``):
identity ``namespace, persistentvolumeclaim``.

Volume *usage* is not here: ``kubelet_volume_stats_*`` come from the kubelet.
"""

from __future__ import annotations

from .base import (
    Family,
    Obj,
    Options,
    Sample,
    condition_values,
    conditions,
    created,
    deletion_timestamp,
    md,
    meta_families,
    one,
    quantity,
    spec,
    status,
)

RESOURCE = "persistentvolumeclaims"
GO_TYPE = "*v1.PersistentVolumeClaim"
PHASES = ("Lost", "Bound", "Pending")


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("persistentvolumeclaim", m.get("name", ""))]


def _info(o: Obj) -> list[Sample]:
    sp = spec(o)
    sc = sp.get("storageClassName")
    if sc is None:
        sc = (md(o).get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class", "")
    return one(
        [
            ("storageclass", sc or ""),
            ("volumename", sp.get("volumeName", "")),
            ("volumemode", sp.get("volumeMode", "")),
        ]
    )


def _phase(o: Obj) -> list[Sample]:
    phase = status(o).get("phase", "")
    if not phase:
        return []
    return [([("phase", p)], 1.0 if p == phase else 0.0) for p in PHASES]


def _requests(o: Obj) -> list[Sample]:
    v = quantity(((spec(o).get("resources") or {}).get("requests") or {}).get("storage"))
    return one(value=v) if v is not None else []


def _access_modes(o: Obj) -> list[Sample]:
    return [([("access_mode", m)], 1.0) for m in spec(o).get("accessModes") or []]


def _conditions(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for c in conditions(o):
        for labels, value in condition_values(str(c.get("status", ""))):
            out.append(([("type", str(c.get("type", ""))), *labels], value))
    return out


def families(opts: Options) -> list[Family]:
    p = "kube_persistentvolumeclaim_"
    return [
        *meta_families(RESOURCE, "persistentvolumeclaim", opts),
        Family(f"{p}info", "Information about persistent volume claim.", _info),
        Family(
            f"{p}status_phase", "The phase the persistent volume claim is currently in.", _phase
        ),
        Family(
            f"{p}resource_requests_storage_bytes",
            "The capacity of storage requested by the persistent volume claim.",
            _requests,
        ),
        Family(
            f"{p}access_mode",
            "The access mode(s) specified by the persistent volume claim.",
            _access_modes,
        ),
        Family(
            f"{p}status_condition",
            "Information about status of different conditions of persistent volume claim.",
            _conditions,
        ),
        created("persistentvolumeclaim"),
        deletion_timestamp("persistentvolumeclaim"),
    ]
