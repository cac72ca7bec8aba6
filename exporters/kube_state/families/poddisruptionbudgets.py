"""PodDisruptionBudget families (``--resources=poddisruptionbudgets``, policy/v1):
identity ``namespace, poddisruptionbudget``."""

from __future__ import annotations

from .base import (
    Family,
    Generate,
    Obj,
    Options,
    created,
    deletion_timestamp,
    md,
    meta_families,
    number_or_zero,
    status,
)

RESOURCE = "poddisruptionbudgets"
GO_TYPE = "*v1.PodDisruptionBudget"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("poddisruptionbudget", m.get("name", ""))]


def _st(field: str) -> Generate:
    return number_or_zero(lambda o: status(o).get(field))


def families(opts: Options) -> list[Family]:
    p = "kube_poddisruptionbudget_status_"
    return [
        *meta_families(RESOURCE, "poddisruptionbudget", opts),
        created("poddisruptionbudget"),
        Family(f"{p}current_healthy", "Current number of healthy pods", _st("currentHealthy")),
        Family(
            f"{p}desired_healthy", "Minimum desired number of healthy pods", _st("desiredHealthy")
        ),
        Family(
            f"{p}pod_disruptions_allowed",
            "Number of pod disruptions that are currently allowed",
            _st("disruptionsAllowed"),
        ),
        Family(
            f"{p}expected_pods",
            "Total number of pods counted by this disruption budget",
            _st("expectedPods"),
        ),
        Family(
            f"{p}observed_generation",
            "Most recent generation observed when updating this PDB status",
            _st("observedGeneration"),
        ),
        deletion_timestamp("poddisruptionbudget"),
    ]
