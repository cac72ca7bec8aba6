"""CronJob families (``--resources=cronjobs``): identity ``namespace, cronjob``."""

from __future__ import annotations

from .base import (
    Family,
    Generate,
    Obj,
    Options,
    Sample,
    created,
    md,
    meta_families,
    number,
    one,
    spec,
    status,
    timestamp,
)
from .cron import CronError, next_after

RESOURCE = "cronjobs"
GO_TYPE = "*v1.CronJob"


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [("namespace", m.get("namespace", "")), ("cronjob", m.get("name", ""))]


def _info(o: Obj) -> list[Sample]:
    sp = spec(o)
    return one(
        [
            ("schedule", sp.get("schedule", "")),
            ("concurrency_policy", sp.get("concurrencyPolicy", "")),
            ("timezone", sp.get("timeZone") or "local"),
        ]
    )


def _next(o: Obj) -> list[Sample]:
    sp = spec(o)
    base = timestamp(status(o).get("lastScheduleTime")) or timestamp(md(o).get("creationTimestamp"))
    if base is None:
        return []
    try:
        return one(value=next_after(sp.get("schedule", ""), base, sp.get("timeZone") or ""))
    except CronError:
        return []


def _invalid(o: Obj) -> list[Sample]:
    try:
        next_after(spec(o).get("schedule", ""), 0.0, spec(o).get("timeZone") or "")
    except CronError:
        return one(value=1.0)
    return one(value=0.0)


def _time(field: str) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        t = timestamp(status(o).get(field))
        return one(value=t) if t is not None else []

    return gen


def _rv(o: Obj) -> list[Sample]:
    rv = str(md(o).get("resourceVersion", ""))
    return one(value=float(rv)) if rv.isdigit() else []


def families(opts: Options) -> list[Family]:
    p = "kube_cronjob_"
    return [
        *meta_families(RESOURCE, "cronjob", opts),
        Family(f"{p}info", "Info about cronjob.", _info),
        created("cronjob"),
        Family(
            f"{p}status_active",
            "Active holds pointers to currently running jobs.",
            lambda o: one(value=float(len(status(o).get("active") or []))),
        ),
        Family(
            f"{p}status_last_schedule_time",
            "LastScheduleTime keeps information of when was the last time the job was "
            "successfully scheduled.",
            _time("lastScheduleTime"),
        ),
        Family(
            f"{p}status_last_successful_time",
            "LastSuccessfulTime keeps information of when was the last time the job was "
            "completed successfully.",
            _time("lastSuccessfulTime"),
        ),
        Family(
            f"{p}spec_suspend",
            "Suspend flag tells the controller to suspend subsequent executions.",
            lambda o: one(value=1.0 if spec(o).get("suspend") else 0.0),
        ),
        Family(
            f"{p}spec_starting_deadline_seconds",
            "Deadline in seconds for starting the job if it misses scheduled time for any reason.",
            number(lambda o: spec(o).get("startingDeadlineSeconds")),
        ),
        Family(
            f"{p}next_schedule_time",
            "Next time the cronjob should be scheduled. The time after lastScheduleTime, or "
            "after the cron job's creation time if it's never been scheduled. Use this to "
            "determine if the job is delayed.",
            _next,
        ),
        Family(f"{p}schedule_invalid", "Whether the cronjob schedule is invalid.", _invalid),
        Family(
            f"{p}metadata_resource_version",
            "Resource version representing a specific version of the cronjob.",
            _rv,
        ),
        Family(
            f"{p}spec_successful_job_history_limit",
            "Successful job history limit tells the controller how many completed jobs "
            "should be preserved.",
            number(lambda o: spec(o).get("successfulJobsHistoryLimit")),
        ),
        Family(
            f"{p}spec_failed_job_history_limit",
            "Failed job history limit tells the controller how many failed jobs should be "
            "preserved.",
            number(lambda o: spec(o).get("failedJobsHistoryLimit")),
        ),
    ]
