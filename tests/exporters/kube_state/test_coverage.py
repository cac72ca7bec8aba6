"""Coverage: every kube_* metric kubernetes-mixin uses (alerts, recording
rules, dashboards) is produced for a simulated cluster that has the objects
it describes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.cluster.control import Cluster

from .conftest import Factory, lines

MIXIN = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "conformance"
    / "mixin-metrics"
    / ("kubernetes-mixin.json")
)
#: kube_* names the mixin defines itself (recording rules), not kube-state-metrics
MIXIN_RECORDED = {
    "kube_pod_windows_container_resource_cpu_cores_limit",
    "kube_pod_windows_container_resource_cpu_cores_request",
    "kube_pod_windows_container_resource_memory_limit",
    "kube_pod_windows_container_resource_memory_request",
}


def _mixin_names() -> set[str]:
    if not MIXIN.exists():
        pytest.skip(f"{MIXIN} is not available")
    return {n for n in json.loads(MIXIN.read_text()) if n.startswith("kube_")}


def test_every_mixin_kube_metric_is_produced(sim: Cluster, exporter: Factory) -> None:
    wanted = _mixin_names() - MIXIN_RECORDED
    # Objects the mixin's expressions describe that the seeded cluster lacks:
    # a pod in CrashLoopBackOff and a failed job.
    pod = sim.pods_of("app-0", sim.replicaset_of("app-0", "svc-0000"))[0]
    sim.crash_loop("app-0", pod["metadata"]["name"])
    sim.fail_job("default", "backup-28950000")
    sim.set_pod_phase("default", "debug", "Failed", reason="Evicted")
    # The mixin filters PVCs with label_excluded_from_alerts: KSM needs the allowlist.
    ex = exporter(metric_labels_allowlist="persistentvolumeclaims=[excluded_from_alerts]")
    produced = {ln.split("{")[0].split(" ")[0] for ln in lines(ex)}
    missing = sorted(wanted - produced)
    print(
        f"\nkubernetes-mixin kube_* coverage: {len(wanted) - len(missing)}/{len(wanted)} "
        f"(+{len(MIXIN_RECORDED)} mixin-recorded names)"
    )
    assert missing == []
    # The exact label values the mixin matches on.
    text = "\n".join(lines(ex))
    for needle in (
        'reason="CrashLoopBackOff"',
        'condition="Ready",status="true"',
        'role="control-plane"',
        'access_mode="ReadWriteOnce"',
        'type="hard"',
        'type="used"',
        'owner_kind="ReplicaSet"',
        'owner_kind="Deployment"',
        'owner_kind="DaemonSet"',
        'owner_kind="StatefulSet"',
        'owner_kind="Job"',
        'owner_kind="Node"',
        'owner_kind="",owner_name=""',
        'reason="Evicted"',
        'phase="Bound"',
        'phase="Active"',
        'host_network="true"',
    ):
        assert needle in text, needle
