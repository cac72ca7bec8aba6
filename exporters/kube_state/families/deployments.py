"""Deployment families (``--resources=deployments``): identity ``namespace, deployment``."""

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
    int_or_percent,
    md,
    meta_families,
    one,
    owner_samples,
    spec,
)
from .workloads import generation, spec_field, status_field

RESOURCE = "deployments"
GO_TYPE = "*v1.Deployment"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("deployment", m.get("name", ""))]


def _conditions(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for c in conditions(o):
        for labels, value in condition_values(str(c.get("status", ""))):
            out.append(
                (
                    [
                        ("reason", str(c.get("reason", ""))),
                        ("condition", str(c.get("type", ""))),
                        *labels,
                    ],
                    value,
                )
            )
    return out


def _paused(o: Obj) -> list[Sample]:
    return one(value=1.0 if spec(o).get("paused") else 0.0)


def _rolling(field: str, round_up: bool) -> Family:
    def gen(o: Obj) -> list[Sample]:
        strategy = spec(o).get("strategy") or {}
        ru = strategy.get("rollingUpdate")
        if strategy.get("type", "RollingUpdate") != "RollingUpdate" or not isinstance(ru, dict):
            return []
        replicas = spec(o).get("replicas", 1)
        v = int_or_percent(ru.get(field), float(replicas), round_up=round_up)
        return one(value=v) if v is not None else []

    name = "max_unavailable" if field == "maxUnavailable" else "max_surge"
    help_text = (
        "Maximum number of unavailable replicas during a rolling update of a deployment."
        if field == "maxUnavailable"
        else "Maximum number of replicas that can be scheduled above the desired number of "
        "replicas during a rolling update of a deployment."
    )
    return Family(f"kube_deployment_spec_strategy_rollingupdate_{name}", help_text, gen)


def families(opts: Options) -> list[Family]:
    return [
        *meta_families(RESOURCE, "deployment", opts),
        created("deployment"),
        status_field(
            "kube_deployment_status_replicas", "The number of replicas per deployment.", "replicas"
        ),
        status_field(
            "kube_deployment_status_replicas_ready",
            "The number of ready replicas per deployment.",
            "readyReplicas",
        ),
        status_field(
            "kube_deployment_status_replicas_available",
            "The number of available replicas per deployment.",
            "availableReplicas",
        ),
        status_field(
            "kube_deployment_status_replicas_unavailable",
            "The number of unavailable replicas per deployment.",
            "unavailableReplicas",
        ),
        status_field(
            "kube_deployment_status_replicas_updated",
            "The number of updated replicas per deployment.",
            "updatedReplicas",
        ),
        status_field(
            "kube_deployment_status_terminating_replicas",
            "The number of terminating replicas per deployment.",
            "terminatingReplicas",
            zero=False,
        ),
        status_field(
            "kube_deployment_status_observed_generation",
            "The generation observed by the deployment controller.",
            "observedGeneration",
        ),
        Family(
            "kube_deployment_status_condition",
            "The current status conditions of a deployment.",
            _conditions,
        ),
        spec_field(
            "kube_deployment_spec_replicas",
            "Number of desired pods for a deployment.",
            "replicas",
            1,
        ),
        Family(
            "kube_deployment_spec_paused",
            "Whether the deployment is paused and will not be processed by the deployment "
            "controller.",
            _paused,
        ),
        _rolling("maxUnavailable", False),
        _rolling("maxSurge", True),
        generation("deployment"),
        deletion_timestamp("deployment"),
        Family(
            "kube_deployment_owner",
            "Information about the Deployment's owner.",
            lambda o: owner_samples(o, with_controller=False),
        ),
    ]
