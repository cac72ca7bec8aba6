"""Every YAML document under deploy/ is a valid Kubernetes object.

Built-in kinds are checked with ``kubernetes-validate`` against the pinned
Kubernetes version's OpenAPI schemas, strictly (unknown fields are errors, as
``kubectl apply --validate=strict`` would say). ``monitoring.coreos.com``
kinds (ServiceMonitor, PodMonitor, PrometheusRule, Probe) are checked against
the openAPIV3Schema of the Prometheus Operator CRDs in
``../shared/conformance/operator-crds/`` with jsonschema; they are skipped
with the reason when that directory is absent.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CRDS = ROOT.parent / "shared" / "conformance" / "operator-crds"
#: the Kubernetes version the manifests target (schemas ship with kubernetes-validate)
KUBERNETES_VERSION = "1.30.0"
OPERATOR_GROUP = "monitoring.coreos.com"


def documents() -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    for path in sorted(DEPLOY.rglob("*.y*ml")):
        for index, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc is not None:
                out.append((str(path.relative_to(ROOT)), index, doc))
    return out


DOCUMENTS = documents()


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, version) -> openAPIV3Schema of every CRD in the conformance dir."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            kind = doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                out[(kind, version["name"])] = version["schema"]["openAPIV3Schema"]
    return out


def test_there_is_something_to_validate() -> None:
    assert DOCUMENTS, f"no YAML documents under {DEPLOY}"


@pytest.mark.parametrize(
    ("path", "index", "doc"), DOCUMENTS, ids=[f"{p}#{i}" for p, i, _ in DOCUMENTS]
)
def test_manifest_validates(path: str, index: int, doc: dict[str, Any]) -> None:
    api_version = str(doc.get("apiVersion", ""))
    kind = str(doc.get("kind", ""))
    assert api_version and kind, f"{path}#{index}: apiVersion and kind are required"
    assert doc.get("metadata", {}).get("name"), f"{path}#{index}: metadata.name is required"
    group, _, version = api_version.rpartition("/")
    if group == OPERATOR_GROUP:
        if not CRDS.is_dir():
            pytest.skip(f"{CRDS} not found: cannot validate {kind} without the CRD schemas")
        schema = crd_schemas().get((kind, version))
        assert schema is not None, f"{path}#{index}: no CRD schema for {api_version} {kind}"
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path)
        )
        assert not errors, f"{path}#{index}: " + "; ".join(
            f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors
        )
        return
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path) or "<root>"
        pytest.fail(f"{path}#{index} ({kind}): {where}: {exc.message}", pytrace=False)


def test_validation_catches_mistakes() -> None:
    """The checks bite: a typo'd field and a bad CRD duration are reported."""
    bad = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}], "hostNetwerk": True},
            },
        },
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)
    if not CRDS.is_dir():
        pytest.skip(f"{CRDS} not found")
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "endpoints": [{"port": "m", "interval": "15 s"}]},
    }
    schema = crd_schemas()[("ServiceMonitor", "v1")]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(monitor))
