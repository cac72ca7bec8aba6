"""HorizontalPodAutoscaler families (``--resources=horizontalpodautoscalers``,
autoscaling/v2): identity ``namespace, horizontalpodautoscaler``."""

from __future__ import annotations

from typing import Any

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
    number,
    number_or_zero,
    one,
    quantity,
    spec,
    status,
)

RESOURCE = "horizontalpodautoscalers"
GO_TYPE = "*v2.HorizontalPodAutoscaler"
#: MetricTarget / MetricValueStatus field -> metric_target_type label
_TARGET_FIELDS = (
    ("value", "value"),
    ("averageValue", "average"),
    ("averageUtilization", "utilization"),
)


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("horizontalpodautoscaler", m.get("name", ""))]


def _metric_name(metric: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(metric_name, container, source block) of one MetricSpec/MetricStatus."""
    mtype = metric.get("type", "")
    key = {
        "Resource": "resource",
        "ContainerResource": "containerResource",
        "Pods": "pods",
        "Object": "object",
        "External": "external",
    }.get(mtype, "")
    block = metric.get(key) or {}
    if key in ("resource", "containerResource"):
        return str(block.get("name", "")), str(block.get("container", "")), block
    return str((block.get("metric") or {}).get("name", "")), "", block


def _target_metrics(o: Obj, current: bool) -> list[Sample]:
    out: list[Sample] = []
    metrics = status(o).get("currentMetrics") if current else spec(o).get("metrics")
    for metric in metrics or []:
        name, container, block = _metric_name(metric)
        values = block.get("current" if current else "target") or {}
        for field, label in _TARGET_FIELDS:
            if field in values:
                v = quantity(values[field])
                if v is not None:
                    out.append(
                        (
                            [
                                ("metric_name", name),
                                ("metric_target_type", label),
                                ("container", container),
                            ],
                            v,
                        )
                    )
    return out


def _info(o: Obj) -> list[Sample]:
    ref = spec(o).get("scaleTargetRef") or {}
    return one(
        [
            ("scaletargetref_api_version", ref.get("apiVersion", "")),
            ("scaletargetref_kind", ref.get("kind", "")),
            ("scaletargetref_name", ref.get("name", "")),
        ]
    )


def _conditions(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for c in conditions(o):
        for labels, value in condition_values(str(c.get("status", ""))):
            out.append(([("condition", str(c.get("type", ""))), *labels], value))
    return out


def _tolerance(direction: str) -> Family:
    def gen(o: Obj) -> list[Sample]:
        rules = (spec(o).get("behavior") or {}).get(direction) or {}
        v = quantity(rules.get("tolerance")) if "tolerance" in rules else None
        return one(value=v) if v is not None else []

    short = "down" if direction == "scaleDown" else "up"
    return Family(
        f"kube_horizontalpodautoscaler_spec_behavior_scale_{short}_tolerance",
        f"The tolerance on the ratio between the current and desired metric value "
        f"below which no scale {short} occurs.",
        gen,
    )


def families(opts: Options) -> list[Family]:
    p = "kube_horizontalpodautoscaler_"
    return [
        *meta_families(RESOURCE, "horizontalpodautoscaler", opts),
        Family(f"{p}info", "Information about this autoscaler.", _info),
        Family(
            f"{p}metadata_generation",
            "The generation observed by the HorizontalPodAutoscaler controller.",
            number_or_zero(lambda o: md(o).get("generation")),
        ),
        Family(
            f"{p}spec_max_replicas",
            "Upper limit for the number of pods that can be set "
            "by the autoscaler; cannot be smaller than MinReplicas.",
            number(lambda o: spec(o).get("maxReplicas")),
        ),
        Family(
            f"{p}spec_min_replicas",
            "Lower limit for the number of pods that can be set by the autoscaler, default 1.",
            number(lambda o: spec(o).get("minReplicas", 1)),
        ),
        Family(
            f"{p}spec_target_metric",
            "The metric specifications used by this autoscaler "
            "when calculating the desired replica count.",
            lambda o: _target_metrics(o, False),
        ),
        _tolerance("scaleDown"),
        _tolerance("scaleUp"),
        Family(
            f"{p}status_target_metric",
            "The current metric status used by this autoscaler "
            "when calculating the desired replica count.",
            lambda o: _target_metrics(o, True),
        ),
        Family(
            f"{p}status_current_replicas",
            "Current number of replicas of pods managed by this autoscaler.",
            number_or_zero(lambda o: status(o).get("currentReplicas")),
        ),
        Family(
            f"{p}status_desired_replicas",
            "Desired number of replicas of pods managed by this autoscaler.",
            number_or_zero(lambda o: status(o).get("desiredReplicas")),
        ),
        Family(f"{p}status_condition", "The condition of this autoscaler.", _conditions),
        created("horizontalpodautoscaler"),
        deletion_timestamp("horizontalpodautoscaler"),
    ]
