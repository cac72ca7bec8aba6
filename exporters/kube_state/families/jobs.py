"""Job families (``--resources=jobs``): identity ``namespace, job_name`` (not
``job``, which would clash with Prometheus' own target label)."""

from __future__ import annotations

from .base import (
    Family,
    Generate,
    Obj,
    Options,
    Sample,
    condition_values,
    conditions,
    created,
    md,
    meta_families,
    number,
    number_or_zero,
    one,
    owner_samples,
    spec,
    status,
    timestamp,
)

RESOURCE = "jobs"
GO_TYPE = "*v1.Job"
FAILED_REASONS = ("BackoffLimitExceeded", "DeadlineExceeded", "Evicted")


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("job_name", m.get("name", ""))]


def _failed(o: Obj) -> list[Sample]:
    failed = float(status(o).get("failed", 0) or 0)
    reasons = [
        c.get("reason", "")
        for c in conditions(o)
        if c.get("type") == "Failed" and c.get("status") == "True"
    ]
    if not reasons or not any(r in FAILED_REASONS for r in reasons):
        return one([("reason", "")], failed)
    return [([("reason", r)], failed if r in reasons else 0.0) for r in FAILED_REASONS]


def _condition(ctype: str) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        out: list[Sample] = []
        for c in conditions(o):
            if c.get("type") == ctype:
                out += condition_values(str(c.get("status", "")), "condition")
        return out

    return gen


def _time(field: str) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        t = timestamp(status(o).get(field))
        return one(value=t) if t is not None else []

    return gen


def _suspended(o: Obj) -> list[Sample]:
    return one(value=1.0 if spec(o).get("suspend") else 0.0)


def families(opts: Options) -> list[Family]:
    p = "kube_job_"
    return [
        *meta_families(RESOURCE, "job", opts),
        Family(f"{p}info", "Information about job.", lambda o: one()),
        created("job"),
        Family(f"{p}owner", "Information about the Job's owner.", owner_samples),
        Family(
            f"{p}spec_parallelism",
            "The maximum desired number of pods the job should run at any given time.",
            number(lambda o: spec(o).get("parallelism")),
        ),
        Family(
            f"{p}spec_completions",
            "The desired number of successfully finished pods the job should be run with.",
            number(lambda o: spec(o).get("completions")),
        ),
        Family(
            f"{p}spec_active_deadline_seconds",
            "The duration in seconds relative to the startTime that the job may be active "
            "before the system tries to terminate it.",
            number(lambda o: spec(o).get("activeDeadlineSeconds")),
        ),
        Family(
            f"{p}status_succeeded",
            "The number of pods which reached Phase Succeeded.",
            number_or_zero(lambda o: status(o).get("succeeded")),
        ),
        Family(
            f"{p}status_failed",
            "The number of pods which reached Phase Failed and the reason for failure.",
            _failed,
        ),
        Family(
            f"{p}status_active",
            "The number of actively running pods.",
            number_or_zero(lambda o: status(o).get("active")),
        ),
        Family(f"{p}complete", "The job has completed its execution.", _condition("Complete")),
        Family(f"{p}failed", "The job has failed its execution.", _condition("Failed")),
        Family(
            f"{p}status_start_time",
            "StartTime represents time when the job was acknowledged by the Job Manager.",
            _time("startTime"),
        ),
        Family(
            f"{p}status_completion_time",
            "CompletionTime represents time when the job was completed.",
            _time("completionTime"),
        ),
        Family(
            f"{p}status_suspended", "The number of pods which reached Phase Suspended.", _suspended
        ),
        Family(
            f"{p}status_ready",
            "The number of ready pods that belong to this Job.",
            number(lambda o: status(o).get("ready")),
        ),
    ]
