"""Metric allow/deny lists, opt-in families, label/annotation allowlists and
flag errors."""

from __future__ import annotations

import pytest

from exporters.kube_state.config import Config
from exporters.kube_state.errors import ConfigError
from exporters.kube_state.families.base import map_to_labels
from exporters.kube_state.filters import KeyAllowlist, parse_key_allowlist
from lab.cluster.control import Cluster

from .conftest import Factory, lines


def _names(ex: object) -> set[str]:
    return {ln.split("{")[0].split(" ")[0] for ln in lines(ex)}  # type: ignore[arg-type]


def test_allowlist_keeps_only_matching_families(exporter: Factory) -> None:
    ex = exporter(resources="pods,nodes", metric_allowlist="kube_pod_info,kube_node_status_.*")
    assert _names(ex) == {
        "kube_pod_info",
        "kube_node_status_capacity",
        "kube_node_status_allocatable",
        "kube_node_status_condition",
        "kube_node_status_addresses",
    }


def test_denylist_drops_matching_families(exporter: Factory) -> None:
    ex = exporter(resources="nodes", metric_denylist="kube_node_status_.*,kube_node_info")
    names = _names(ex)
    assert "kube_node_info" not in names and not any(
        n.startswith("kube_node_status_") for n in names
    )
    assert "kube_node_spec_taint" in names


def test_opt_in_families(exporter: Factory) -> None:
    assert "kube_pod_nodeselectors" not in _names(exporter(resources="pods"))
    ex = exporter(resources="pods", metric_opt_in_list="kube_pod_nodeselectors")
    assert "kube_pod_nodeselectors" in _names(ex)


def test_labels_families_only_with_an_allowlist(sim: Cluster, exporter: Factory) -> None:
    assert "kube_namespace_labels" not in _names(exporter(resources="namespaces"))
    sim.store.mutate(
        "namespaces",
        None,
        "app-0",
        lambda n: n["metadata"].update(annotations={"owner.example.com/team": "a", "x": "y"}),
    )
    ex = exporter(
        resources="namespaces,pods",
        metric_labels_allowlist="namespaces=[team]",
        metric_annotations_allowlist="namespaces=[owner.example.com/*]",
    )
    got = lines(ex)
    assert 'kube_namespace_labels{namespace="app-0",label_team="team-0"} 1' in got
    assert 'kube_namespace_labels{namespace="default"} 1' in got
    assert (
        'kube_namespace_annotations{namespace="app-0",annotation_owner_example_com_team="a"} 1'
    ) in got
    assert "kube_pod_labels" not in _names(ex)
    ex = exporter(resources="nodes", metric_labels_allowlist="nodes=[*]")
    node = next(ln for ln in lines(ex, "kube_node_labels{") if 'node="node-0001"' in ln)
    assert 'label_kubernetes_io_hostname="node-0001"' in node
    assert 'label_topology_kubernetes_io_zone="zone-b"' in node


def test_sanitising_and_conflicts() -> None:
    allow = KeyAllowlist.of(("*",))
    got = map_to_labels(
        "label", {"app.kubernetes.io/name": "a", "app_kubernetes_io/name": "b", "team": "c"}, allow
    )
    assert got == [
        ("label_app_kubernetes_io_name_conflict1", "a"),
        ("label_app_kubernetes_io_name_conflict2", "b"),
        ("label_team", "c"),
    ]
    only = KeyAllowlist.of(("team", "x*"))
    assert map_to_labels("label", {"team": "1", "xy": "2", "z": "3"}, only) == [
        ("label_team", "1"),
        ("label_xy", "2"),
    ]
    assert not KeyAllowlist.of(("a", "*")).everything  # "*" counts only first


def test_allowlist_syntax() -> None:
    assert parse_key_allowlist("pods=[app,team],*=[env]", "f") == {
        "pods": ("app", "team"),
        "*": ("env",),
    }
    for bad in ("pods=app", "pods=[app", "pods=[a]nodes=[b]"):
        with pytest.raises(ConfigError, match="--metric-labels-allowlist"):
            Config.from_flags(metric_labels_allowlist=bad)


def test_flag_errors_are_clear() -> None:
    with pytest.raises(ConfigError, match="mutually exclusive"):
        Config.from_flags(metric_allowlist="a", metric_denylist="b")
    with pytest.raises(ConfigError, match="does not implement"):
        Config.from_flags(resources="pods,configmaps")
    with pytest.raises(ConfigError, match="'podz' does not exist"):
        Config.from_flags(resources="podz")
    with pytest.raises(ConfigError, match="not a valid regex"):
        Config.from_flags(metric_denylist="kube_(")


def test_namespaces_and_denylist(exporter: Factory) -> None:
    ex = exporter(resources="pods,nodes", namespaces="monitoring,default")
    pods = lines(ex, "kube_pod_info{")
    assert {ln.split('namespace="')[1].split('"')[0] for ln in pods} == {"monitoring", "default"}
    assert lines(ex, "kube_node_info{")  # cluster-scoped resources are not filtered
    ex = exporter(resources="pods", namespaces_denylist="app-0,kube-system")
    assert {ln.split('namespace="')[1].split('"')[0] for ln in lines(ex, "kube_pod_info{")} == {
        "monitoring",
        "default",
    }
