"""Families and values for known objects of the simulated cluster, scraped
through the exporter's reflectors over HTTP."""

from __future__ import annotations

from pathlib import Path

from exporters.common.exposition import parse_text
from exporters.kube_state.app import KubeStateExporter
from exporters.kube_state.client import make_api_client
from exporters.kube_state.config import Config
from lab.cluster import objects as o
from lab.cluster.control import Cluster
from lab.cluster.kubeconfig import write_kubeconfig
from lab.cluster.server import ClusterServer

from .conftest import Factory, lines, wait_for


def _uid(sim: Cluster, plural: str, ns: str | None, name: str) -> str:
    return str(sim.get(plural, ns, name)["metadata"]["uid"])


def test_pod_families_of_a_bare_pod(sim: Cluster, exporter: Factory) -> None:
    ex = exporter(resources="pods")
    uid = _uid(sim, "pods", "default", "debug")
    ident = f'namespace="default",pod="debug",uid="{uid}"'
    pod = sim.get("pods", "default", "debug")
    got = set(lines(ex))
    expected = {
        f'kube_pod_info{{{ident},host_ip="{pod["status"]["hostIP"]}",'
        f'pod_ip="{pod["status"]["podIP"]}",node="{pod["spec"]["nodeName"]}",'
        'created_by_kind="<none>",created_by_name="<none>",priority_class="",'
        'host_network="false"} 1',
        f'kube_pod_owner{{{ident},owner_kind="",owner_name="",owner_is_controller=""}} 1',
        f'kube_pod_status_phase{{{ident},phase="Running"}} 1',
        f'kube_pod_status_phase{{{ident},phase="Pending"}} 0',
        f'kube_pod_status_phase{{{ident},phase="Succeeded"}} 0',
        f'kube_pod_status_phase{{{ident},phase="Failed"}} 0',
        f'kube_pod_status_phase{{{ident},phase="Unknown"}} 0',
        f'kube_pod_status_ready{{{ident},condition="true"}} 1',
        f'kube_pod_status_ready{{{ident},condition="false"}} 0',
        f'kube_pod_status_ready{{{ident},condition="unknown"}} 0',
        f'kube_pod_status_qos_class{{{ident},qos_class="BestEffort"}} 1',
        f"kube_pod_created{{{ident}}} 1.7356896e+09",
        f"kube_pod_start_time{{{ident}}} 1.7356896e+09",
        f'kube_pod_restart_policy{{{ident},type="Always"}} 1',
        f'kube_pod_container_status_restarts_total{{{ident},container="shell"}} 0',
        f'kube_pod_container_status_running{{{ident},container="shell"}} 1',
        f'kube_pod_container_status_waiting{{{ident},container="shell"}} 0',
        f'kube_pod_container_status_ready{{{ident},container="shell"}} 1',
        f'kube_pod_service_account{{{ident},service_account="default"}} 1',
        f'kube_pod_scheduler{{{ident},name="default-scheduler"}} 1',
    }
    assert expected <= got
    info = [ln for ln in got if ln.startswith(f"kube_pod_container_info{{{ident}")]
    assert len(info) == 1
    assert 'container="shell",image_spec="busybox:1.37",' in info[0]
    assert 'image_id="docker.io/library/busybox@sha256:' in info[0]
    assert 'container_id="containerd://' in info[0]


def test_resources_in_base_units(sim: Cluster, exporter: Factory) -> None:
    ex = exporter(resources="pods,nodes")
    rs = sim.replicaset_of("app-0", "svc-0000")
    pod = sim.pods_of("app-0", rs)[0]
    name, uid, node = pod["metadata"]["name"], pod["metadata"]["uid"], pod["spec"]["nodeName"]
    ident = f'namespace="app-0",pod="{name}",uid="{uid}"'
    got = set(lines(ex))
    for kind, container, resource, unit, value in [
        ("requests", "app", "cpu", "core", "0.1"),
        ("requests", "app", "memory", "byte", "1.34217728e+08"),
        ("limits", "app", "cpu", "core", "0.5"),
        ("limits", "envoy", "memory", "byte", "1.34217728e+08"),
        ("requests", "envoy", "cpu", "core", "0.05"),
    ]:
        want = (
            f'kube_pod_container_resource_{kind}{{{ident},container="{container}",'
            f'node="{node}",resource="{resource}",unit="{unit}"}} {value}'
        )
        assert want in got
    assert 'kube_node_status_allocatable{node="node-0001",resource="cpu",unit="core"} 8' in got
    assert (
        'kube_node_status_capacity{node="node-0001",resource="memory",unit="byte"} 3.4359738368e+10'
    ) in got
    assert 'kube_node_role{node="node-0000",role="control-plane"} 1' in got
    assert (
        'kube_node_spec_taint{node="node-0000",key="node-role.kubernetes.io/control-plane",'
        'value="",effect="NoSchedule"} 1'
    ) in got
    assert 'kube_node_status_condition{node="node-0002",condition="Ready",status="true"} 1' in got


def test_owner_chains_the_mixin_joins(sim: Cluster, exporter: Factory) -> None:
    ex = exporter(resources="pods,replicasets,jobs,deployments")
    got = "\n".join(lines(ex))
    rs = sim.replicaset_of("app-0", "svc-0000")["metadata"]["name"]
    assert (
        f'kube_replicaset_owner{{namespace="app-0",replicaset="{rs}",owner_kind="Deployment",'
        'owner_name="svc-0000",owner_is_controller="true"} 1'
    ) in got
    assert 'owner_kind="ReplicaSet",owner_name="' + rs + '",owner_is_controller="true"} 1' in got
    assert (
        'kube_job_owner{namespace="default",job_name="backup-28950000",owner_kind="CronJob",'
        'owner_name="backup",owner_is_controller="true"} 1'
    ) in got
    assert 'owner_kind="DaemonSet",owner_name="kube-proxy"' in got
    assert 'owner_kind="Node",owner_name="node-0000"' in got
    assert (
        'kube_deployment_owner{namespace="app-0",deployment="svc-0000",'
        'owner_kind="",owner_name=""} 1' in got
    )


def test_headers_types_and_empty_resources(sim: Cluster, exporter: Factory) -> None:
    sim.delete("poddisruptionbudgets", "monitoring", "prometheus")
    ex = exporter(resources="pods,poddisruptionbudgets")
    text = ex.render().decode()
    assert "# TYPE kube_pod_container_status_restarts_total counter\n" in text
    assert "# TYPE kube_pod_info gauge\n" in text
    assert "# HELP kube_pod_info Information about pod.\n" in text
    assert "kube_poddisruptionbudget" not in text  # no objects: not even HELP/TYPE
    batch = parse_text(ex.render())  # the output is valid text exposition
    assert batch is not None
    om = ex.render(openmetrics=True).decode()
    assert om.endswith("# EOF\n")
    assert "# TYPE kube_pod_container_status_restarts counter\n" in om


def test_updates_and_deletes_show_at_the_next_scrape(sim: Cluster, exporter: Factory) -> None:
    ex = exporter(resources="pods,nodes,jobs,deployments")
    uid = _uid(sim, "pods", "default", "debug")
    restarts = (
        "kube_pod_container_status_restarts_total"
        f'{{namespace="default",pod="debug",uid="{uid}",container="shell"}}'
    )
    sim.crash_loop("default", "debug")
    assert wait_for(lambda: f"{restarts} 1" in lines(ex))
    waiting = (
        f'kube_pod_container_status_waiting_reason{{namespace="default",pod="debug",'
        f'uid="{uid}",container="shell",reason="CrashLoopBackOff"}} 1'
    )
    assert waiting in lines(ex)
    sim.set_node_ready("node-0002", False)
    assert wait_for(
        lambda: (
            'kube_node_status_condition{node="node-0002",condition="Ready",'
            'status="unknown"} 1' in lines(ex)
        )
    )
    sim.fail_job("default", "backup-28950000")
    assert wait_for(
        lambda: (
            'kube_job_failed{namespace="default",job_name="backup-28950000",'
            'condition="true"} 1' in lines(ex)
        )
    )
    sim.delete_pod("default", "debug")
    assert wait_for(lambda: not any(f'uid="{uid}"' in ln for ln in lines(ex)))
    sim.scale_deployment("app-0", "svc-0000", 3)
    assert wait_for(
        lambda: (
            'kube_deployment_spec_replicas{namespace="app-0",deployment="svc-0000"} 3' in lines(ex)
        )
    )
    assert wait_for(
        lambda: (
            sum(1 for ln in lines(ex, "kube_pod_info{") if 'created_by_name="svc-0000-' in ln) == 3
        )
    )


def test_relist_after_410(sim: Cluster, tmp_path: Path) -> None:
    # A server without bookmarks, so the reflector's resourceVersion stays behind.
    with ClusterServer(sim.store, bookmark_interval=3600) as srv:
        client = make_api_client(str(write_kubeconfig(tmp_path / "kc", srv.url)))
        ex = KubeStateExporter(
            Config.from_flags(resources="pods"), client, watch_timeout_min=1, backoff_initial=0.05
        )
        ex.start()
        try:
            assert ex.wait_synced(20)
            reflector = ex.reflectors[0]
            sim.create(
                o.pod(
                    "default",
                    "late",
                    node="node-0001",
                    containers=[o.container("c", "busybox:1.37")],
                )
            )
            assert wait_for(lambda: any('pod="late"' in ln for ln in lines(ex)))
            sim.delete_pod("default", "late")
            sim.cordon("node-0001")  # moves the global resourceVersion past the pods' last
            sim.store.compact()
            # The watch renews within 1-2 s, from a resourceVersion that is now
            # compacted: 410 Gone, and the reflector relists.
            assert wait_for(lambda: reflector.relists >= 1, timeout=15)
            # ``relists`` counts the 410 as it arrives; the relist itself (and
            # its list_total increment) completes a moment later on the thread.
            assert wait_for(lambda: ex.telemetry._list[("*v1.Pod", "success")] >= 2, timeout=15)
            assert not any('pod="late"' in ln for ln in lines(ex))
            sim.crash_loop("default", "debug")
            assert wait_for(
                lambda: any(
                    'pod="debug"' in ln and "restarts_total" in ln and ln.endswith(" 1")
                    for ln in lines(ex)
                )
            )
        finally:
            ex.stop()
            client.close()
