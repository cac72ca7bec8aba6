"""PersistentVolume families (``--resources=persistentvolumes``): identity
``persistentvolume``."""

from __future__ import annotations

from typing import Any

from .base import (
    Family,
    Obj,
    Options,
    Sample,
    created,
    deletion_timestamp,
    md,
    meta_families,
    one,
    quantity,
    spec,
    status,
)

RESOURCE = "persistentvolumes"
GO_TYPE = "*v1.PersistentVolume"
PHASES = ("Pending", "Available", "Bound", "Released", "Failed")


def identity(obj: Obj) -> list[tuple[str, str]]:
    return [("persistentvolume", md(obj).get("name", ""))]


def _phase(o: Obj) -> list[Sample]:
    phase = status(o).get("phase", "")
    if not phase:
        return []
    return [([("phase", p)], 1.0 if p == phase else 0.0) for p in PHASES]


def _claim_ref(o: Obj) -> list[Sample]:
    ref = spec(o).get("claimRef")
    if not isinstance(ref, dict):
        return []
    return one([("claim_namespace", ref.get("namespace", "")), ("name", ref.get("name", ""))])


def _capacity(o: Obj) -> list[Sample]:
    v = quantity((spec(o).get("capacity") or {}).get("storage"))
    return one(value=v) if v is not None else []


def _info(o: Obj) -> list[Sample]:
    sp = spec(o)

    def src(key: str) -> dict[str, Any]:
        v = sp.get(key)
        return v if isinstance(v, dict) else {}

    fc = src("fc")
    iscsi = src("iscsi")
    return one(
        [
            ("storageclass", sp.get("storageClassName", "")),
            ("gce_persistent_disk_name", src("gcePersistentDisk").get("pdName", "")),
            ("host_path", src("hostPath").get("path", "")),
            ("host_path_type", src("hostPath").get("type", "")),
            ("ebs_volume_id", src("awsElasticBlockStore").get("volumeID", "")),
            ("azure_disk_name", src("azureDisk").get("diskName", "")),
            ("fc_wwids", ",".join(map(str, fc.get("wwids") or []))),
            ("fc_lun", str(fc.get("lun", "")) if fc.get("lun") is not None else ""),
            ("fc_target_wwns", ",".join(map(str, fc.get("targetWWNs") or []))),
            ("iscsi_target_portal", iscsi.get("targetPortal", "")),
            ("iscsi_iqn", iscsi.get("iqn", "")),
            ("iscsi_lun", str(iscsi.get("lun", "")) if iscsi.get("lun") is not None else ""),
            ("iscsi_initiator_name", iscsi.get("initiatorName", "")),
            ("local_path", src("local").get("path", "")),
            ("local_fs", src("local").get("fsType", "")),
            ("nfs_server", src("nfs").get("server", "")),
            ("nfs_path", src("nfs").get("path", "")),
            ("csi_driver", src("csi").get("driver", "")),
            ("csi_volume_handle", src("csi").get("volumeHandle", "")),
            ("reclaim_policy", sp.get("persistentVolumeReclaimPolicy", "")),
        ]
    )


def _csi_attributes(o: Obj) -> list[Sample]:
    csi = spec(o).get("csi")
    if not isinstance(csi, dict):
        return []
    attrs = csi.get("volumeAttributes") or {}
    return one(
        [
            ("csi_mounter", attrs.get("mounter", "")),
            ("csi_map_options", attrs.get("mapOptions", "")),
        ]
    )


def families(opts: Options) -> list[Family]:
    p = "kube_persistentvolume_"
    return [
        *meta_families(RESOURCE, "persistentvolume", opts),
        Family(
            f"{p}status_phase",
            "The phase indicates if a volume is available, bound to a "
            "claim, or released by a claim.",
            _phase,
        ),
        Family(
            f"{p}claim_ref", "Information about the Persistent Volume Claim Reference.", _claim_ref
        ),
        Family(f"{p}info", "Information about persistentvolume.", _info),
        Family(f"{p}capacity_bytes", "Persistentvolume capacity in bytes.", _capacity),
        created("persistentvolume"),
        deletion_timestamp("persistentvolume"),
        Family(
            f"{p}csi_attributes",
            "CSI attributes of the Persistent Volume.",
            _csi_attributes,
            opt_in=True,
        ),
        Family(
            f"{p}volume_mode",
            "Volume Mode information for the PersistentVolume.",
            lambda o: one([("volumemode", spec(o).get("volumeMode", "Filesystem"))]),
        ),
        Family(
            f"{p}access_mode",
            "Access modes of the PersistentVolume.",
            lambda o: [([("access_mode", m)], 1.0) for m in spec(o).get("accessModes") or []],
        ),
    ]
