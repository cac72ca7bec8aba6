"""The control API scenarios drive: each incident is ordinary store updates."""

from __future__ import annotations

from lab.cluster.control import USED_BYTES, Cluster


def _ready(pod: dict[str, object]) -> str:
    conds = pod["status"]["conditions"]  # type: ignore[index]
    return next(c["status"] for c in conds if c["type"] == "Ready")  # type: ignore[index,union-attr]


def test_scale_deployment_creates_and_deletes_pods(sim: Cluster) -> None:
    sim.scale_deployment("app-0", "svc-0000", 13)
    rs = sim.replicaset_of("app-0", "svc-0000")
    assert len(sim.pods_of("app-0", rs)) == 13
    dep = sim.get("deployments", "app-0", "svc-0000")
    assert dep["spec"]["replicas"] == 13 and dep["status"]["availableReplicas"] == 13
    assert dep["metadata"]["generation"] == 2
    sim.scale_deployment("app-0", "svc-0000", 4)
    assert len(sim.pods_of("app-0", rs)) == 4
    assert sim.get("replicasets", "app-0", rs["metadata"]["name"])["status"]["replicas"] == 4


def test_crash_loop_and_oom_kill(sim: Cluster) -> None:
    pod = sim.pods_of("app-0", sim.replicaset_of("app-0", "svc-0000"))[0]
    name = pod["metadata"]["name"]
    sim.crash_loop("app-0", name, "app")
    sim.crash_loop("app-0", name, "app")
    p = sim.get("pods", "app-0", name)
    app = p["status"]["containerStatuses"][0]
    assert app["restartCount"] == 2
    assert app["lastState"]["terminated"]["reason"] == "Error"
    assert app["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert _ready(p) == "False"
    assert sim.get("deployments", "app-0", "svc-0000")["status"]["availableReplicas"] == 9
    sim.oom_kill("app-0", name, "envoy")
    envoy = sim.get("pods", "app-0", name)["status"]["containerStatuses"][1]
    assert envoy["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert envoy["lastState"]["terminated"]["exitCode"] == 137 and "running" in envoy["state"]
    sim.recover_pod("app-0", name)
    assert _ready(sim.get("pods", "app-0", name)) == "True"


def test_node_not_ready_and_back(sim: Cluster) -> None:
    node = sim.set_node_ready("node-0001", False)
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "Unknown" and ready["reason"] == "NodeStatusUnknown"
    assert {t["effect"] for t in node["spec"]["taints"]} == {"NoSchedule", "NoExecute"}
    node = sim.set_node_ready("node-0001", True)
    assert "taints" not in node["spec"]


def test_fail_job_fill_pvc_and_cordon(sim: Cluster) -> None:
    job = sim.fail_job("default", "backup-28950000")
    assert {c["type"] for c in job["status"]["conditions"]} == {"Failed", "FailureTarget"}
    claim = sim.fill_pvc("monitoring", "data-prometheus-0", 40 * 2**30)
    assert claim["metadata"]["annotations"][USED_BYTES] == str(40 * 2**30)
    node = sim.cordon("node-0002")
    assert node["spec"]["unschedulable"] is True
