"""The unmodified kubernetes Python client against the simulated API server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException
from kubernetes.watch import Watch

from lab.cluster import objects as o
from lab.cluster.control import Cluster

WATCH_TIMEOUT = 5  # seconds; every watch below ends by itself


def test_typed_list_of_every_kind(api_client: Any) -> None:
    import kubernetes.client as k

    assert len(k.CoreV1Api(api_client).list_pod_for_all_namespaces().items) == 30
    assert len(k.CoreV1Api(api_client).list_node().items) == 3
    assert [
        d.metadata.name for d in k.AppsV1Api(api_client).list_namespaced_deployment("app-0").items
    ] == ["svc-0000", "svc-0001", "svc-0002"]
    assert k.BatchV1Api(api_client).list_cron_job_for_all_namespaces().items[0].spec.schedule
    hpas = k.AutoscalingV2Api(api_client).list_horizontal_pod_autoscaler_for_all_namespaces()
    assert hpas.items[0].spec.scale_target_ref.kind == "Deployment"
    pdb = k.PolicyV1Api(api_client).list_pod_disruption_budget_for_all_namespaces().items[0]
    assert pdb.status.current_healthy == 2
    pod = k.CoreV1Api(api_client).read_namespaced_pod("debug", "default")
    assert pod.status.container_statuses[0].restart_count == 0
    assert pod.metadata.uid and pod.metadata.creation_timestamp.year == 2025


def test_list_paging_returns_every_object_once(core: Any) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        resp = core.list_pod_for_all_namespaces(limit=7, _continue=token)
        pages += 1
        assert len(resp.items) <= 7
        seen += [f"{p.metadata.namespace}/{p.metadata.name}" for p in resp.items]
        token = resp.metadata._continue
        if not token:
            break
        assert resp.metadata.remaining_item_count == 30 - len(seen)
    assert pages == 5
    assert len(seen) == len(set(seen)) == 30


def test_label_and_field_selectors(core: Any) -> None:
    prom = core.list_pod_for_all_namespaces(label_selector="app.kubernetes.io/name=prometheus")
    assert sorted(p.metadata.name for p in prom.items) == ["prometheus-0", "prometheus-1"]
    notin = core.list_namespaced_pod(
        "monitoring", label_selector="app.kubernetes.io/name notin (prometheus)"
    )
    assert notin.items == []
    exists = core.list_pod_for_all_namespaces(label_selector="job-name")
    assert [p.metadata.name for p in exists.items] == ["backup-28950000-x7k2p"]
    on_node = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=node-0000")
    assert {p.spec.node_name for p in on_node.items} == {"node-0000"}
    done = core.list_pod_for_all_namespaces(field_selector="status.phase=Succeeded")
    assert len(done.items) == 1
    not_default = core.list_pod_for_all_namespaces(
        field_selector="metadata.namespace!=default,metadata.namespace!=kube-system"
    )
    assert {p.metadata.namespace for p in not_default.items} == {"app-0", "monitoring"}


def test_bad_selectors_are_400_status(core: Any) -> None:
    with pytest.raises(ApiException) as err:
        core.list_pod_for_all_namespaces(field_selector="spec.foo=bar")
    assert err.value.status == 400
    body = json.loads(err.value.body)
    assert body["kind"] == "Status" and body["reason"] == "BadRequest"
    assert "spec.foo" in body["message"]
    with pytest.raises(ApiException) as err:
        core.list_pod_for_all_namespaces(label_selector="a in ()")
    assert err.value.status == 400


def test_create_patch_delete(core: Any, apps: Any) -> None:
    pod = o.pod(
        "default",
        "web",
        node="node-0001",
        containers=[o.container("nginx", "nginx:1.27")],
        labels={"app": "web"},
    )
    created = core.create_namespaced_pod("default", pod)
    assert created.metadata.resource_version and created.metadata.uid
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod("default", pod)
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "AlreadyExists"

    patched = core.patch_namespaced_pod("web", "default", {"metadata": {"labels": {"tier": "1"}}})
    assert patched.metadata.labels == {"app": "web", "tier": "1"}
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)
    gen = apps.read_namespaced_deployment("svc-0000", "app-0").metadata.generation
    scaled = apps.patch_namespaced_deployment("svc-0000", "app-0", {"spec": {"replicas": 4}})
    assert scaled.spec.replicas == 4 and scaled.metadata.generation == gen + 1

    core.delete_namespaced_pod("web", "default")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("web", "default")
    assert err.value.status == 404
    assert json.loads(err.value.body)["message"] == 'pods "web" not found'


def test_update_with_stale_resource_version_conflicts(core: Any) -> None:
    pod = core.read_namespaced_pod("debug", "default")
    pod.metadata.labels = {"x": "1"}
    core.replace_namespaced_pod("debug", "default", pod)
    pod.metadata.labels = {"x": "2"}  # still the old resourceVersion
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_pod("debug", "default", pod)
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "Conflict"
    assert core.read_namespaced_pod("debug", "default").metadata.labels == {"x": "1"}


def test_invalid_objects_change_nothing(core: Any) -> None:
    before = len(core.list_pod_for_all_namespaces().items)
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod("default", {"metadata": {"name": "Bad_Name"}, "spec": {}})
    assert err.value.status == 422
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod("nowhere", {"metadata": {"name": "x"}, "spec": {}})
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod("default", {"metadata": {}, "spec": {}})
    assert err.value.status == 422
    assert len(core.list_pod_for_all_namespaces().items) == before


def test_watch_streams_added_modified_deleted(core: Any, sim: Cluster) -> None:
    rv = core.list_namespaced_pod("default").metadata.resource_version
    sim.crash_loop("default", "debug")
    sim.create(
        o.pod("default", "new", node="node-0001", containers=[o.container("c", "busybox:1.37")])
    )
    sim.delete_pod("default", "new")
    events = []
    for ev in Watch().stream(
        core.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=WATCH_TIMEOUT
    ):
        events.append((ev["type"], ev["object"].metadata.name))
        if len(events) == 3:
            break
    assert events == [("MODIFIED", "debug"), ("ADDED", "new"), ("DELETED", "new")]


def test_watch_without_resource_version_starts_with_current_objects(core: Any) -> None:
    names = []
    for ev in Watch().stream(core.list_namespaced_pod, "monitoring", timeout_seconds=WATCH_TIMEOUT):
        assert ev["type"] == "ADDED"
        names.append(ev["object"].metadata.name)
        if len(names) == 2:
            break
    assert names == ["prometheus-0", "prometheus-1"]


def test_watch_label_selector_turns_relabel_into_delete(core: Any, sim: Cluster) -> None:
    rv = core.list_namespaced_pod("default").metadata.resource_version
    sim.store.mutate(
        "pods", "default", "debug", lambda p: p["metadata"].__setitem__("labels", {"role": "debug"})
    )
    sim.store.mutate(
        "pods", "default", "debug", lambda p: p["metadata"].__setitem__("labels", {"role": "other"})
    )
    events = []
    for ev in Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=rv,
        label_selector="role=debug",
        timeout_seconds=WATCH_TIMEOUT,
    ):
        events.append(ev["type"])
        if len(events) == 2:
            break
    assert events == ["ADDED", "DELETED"]


def test_watch_too_old_resource_version_is_410_then_relist_works(core: Any, sim: Cluster) -> None:
    old_rv = core.list_namespaced_pod("default").metadata.resource_version
    for i in range(60):  # history is 50 events per resource type
        sim.store.mutate(
            "pods",
            "default",
            "debug",
            lambda p, i=i: p["metadata"].__setitem__("labels", {"n": str(i)}),
        )
    with pytest.raises(ApiException) as err:
        for _ in Watch().stream(
            core.list_namespaced_pod,
            "default",
            resource_version=old_rv,
            timeout_seconds=WATCH_TIMEOUT,
        ):
            pass
    assert err.value.status == 410
    # The reflector's answer: relist, then watch from the new list's resourceVersion.
    relisted = core.list_namespaced_pod("default")
    assert relisted.items[-1].metadata.labels == {"n": "59"}
    sim.crash_loop("default", "debug")
    for ev in Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=relisted.metadata.resource_version,
        timeout_seconds=WATCH_TIMEOUT,
    ):
        assert ev["type"] == "MODIFIED"
        assert ev["object"].status.container_statuses[0].restart_count == 1
        break


def test_watch_bookmarks(core: Any) -> None:
    rv = core.list_namespaced_pod("default").metadata.resource_version
    resp = core.list_namespaced_pod(
        "default",
        watch=True,
        resource_version=rv,
        allow_watch_bookmarks=True,
        timeout_seconds=1,
        _preload_content=False,
    )
    lines = [json.loads(line) for line in resp.read().splitlines() if line.strip()]
    assert lines and all(ev["type"] == "BOOKMARK" for ev in lines)
    assert int(lines[-1]["object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_discovery_and_version(api_client: Any) -> None:
    import kubernetes.client as k

    version = k.VersionApi(api_client).get_code()
    assert version.major == "1" and version.git_version.startswith("v1.32")
    groups = {g.name for g in k.ApisApi(api_client).get_api_versions().groups}
    assert {"apps", "batch", "autoscaling", "policy"} <= groups
    core_resources = k.CoreV1Api(api_client).get_api_resources()
    pods = next(r for r in core_resources.resources if r.name == "pods")
    assert pods.namespaced and "watch" in pods.verbs and pods.short_names == ["po"]


def test_status_subresource_and_main_resource_ignores_status(core: Any) -> None:
    pod = core.read_namespaced_pod("debug", "default")
    core.patch_namespaced_pod("debug", "default", {"status": {"phase": "Failed"}})
    assert core.read_namespaced_pod("debug", "default").status.phase == "Running"
    core.patch_namespaced_pod_status("debug", "default", {"status": {"phase": "Failed"}})
    after = core.read_namespaced_pod("debug", "default")
    assert after.status.phase == "Failed" and after.metadata.uid == pod.metadata.uid


def test_json_patch(api_client: Any) -> None:
    import kubernetes.client as k

    apps = k.AppsV1Api(api_client)
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 2},
        {"op": "add", "path": "/metadata/labels/extra", "value": "yes"},
    ]
    dep = apps.patch_namespaced_deployment("svc-0001", "app-0", ops)
    assert dep.spec.replicas == 2 and dep.metadata.labels["extra"] == "yes"
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment(
            "svc-0001", "app-0", [{"op": "remove", "path": "/spec/nope"}]
        )
    assert err.value.status == 422
    assert apps.read_namespaced_deployment("svc-0001", "app-0").spec.replicas == 2


def test_deleting_a_deployment_cascades(apps: Any, core: Any) -> None:
    assert (
        len(
            core.list_namespaced_pod(
                "app-0", label_selector=("app.kubernetes.io/name=svc-0001")
            ).items
        )
        == 10
    )
    apps.delete_namespaced_deployment("svc-0001", "app-0")
    assert (
        core.list_namespaced_pod("app-0", label_selector="app.kubernetes.io/name=svc-0001").items
        == []
    )
    assert len(apps.list_namespaced_replica_set("app-0").items) == 2
