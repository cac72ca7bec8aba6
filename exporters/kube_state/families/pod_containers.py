"""Container and init-container families of pods (``kube_pod_container_*``,
``kube_pod_init_container_*``). Label order after the pod identity follows KSM:
``container`` first, then the family's own labels."""

from __future__ import annotations

from collections.abc import Callable

from .base import Family, Generate, Obj, Sample, spec, status, timestamp
from .resources import resource_samples

Per = Callable[[Obj, Obj], list[Sample]]  # (container status, container spec) -> samples


def _per_status(statuses_key: str, specs_key: str, fn: Per) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        specs = {c.get("name"): c for c in spec(o).get(specs_key) or []}
        out: list[Sample] = []
        for cs in status(o).get(statuses_key) or []:
            name = cs.get("name", "")
            for labels, value in fn(cs, specs.get(name, {})):
                out.append(([("container", name), *labels], value))
        return out

    return gen


def _state(cs: Obj, which: str) -> Obj | None:
    st = (cs.get("state") or {}).get(which)
    return st if isinstance(st, dict) else None


def _info(init: bool) -> Per:
    def fn(cs: Obj, cspec: Obj) -> list[Sample]:
        labels = [
            ("image_spec", cspec.get("image", "")),
            ("image", cs.get("image", "")),
            ("image_id", cs.get("imageID", "")),
            ("container_id", cs.get("containerID", "")),
        ]
        if init:
            labels.append(("restart_policy", cspec.get("restartPolicy", "")))
        return [(labels, 1.0)]

    return fn


def _is(which: str) -> Per:
    return lambda cs, _: [((), 1.0 if _state(cs, which) is not None else 0.0)]


def _reason(which: str) -> Per:
    def fn(cs: Obj, _: Obj) -> list[Sample]:
        st = _state(cs, which)
        reason = st.get("reason", "") if st else ""
        return [([("reason", reason)], 1.0)] if reason else []

    return fn


def _started(cs: Obj, _: Obj) -> list[Sample]:
    for which in ("running", "terminated"):
        st = _state(cs, which)
        if st is not None:
            t = timestamp(st.get("startedAt"))
            return [((), t)] if t is not None else []
    return []


def _last_terminated(cs: Obj) -> Obj | None:
    last = (cs.get("lastState") or {}).get("terminated")
    return last if isinstance(last, dict) else None


def _last_reason(cs: Obj, _: Obj) -> list[Sample]:
    last = _last_terminated(cs)
    return [([("reason", last.get("reason", ""))], 1.0)] if last and last.get("reason") else []


def _last_exitcode(cs: Obj, _: Obj) -> list[Sample]:
    last = _last_terminated(cs)
    return [((), float(last.get("exitCode", 0)))] if last else []


def _last_timestamp(cs: Obj, _: Obj) -> list[Sample]:
    last = _last_terminated(cs)
    t = timestamp(last.get("finishedAt")) if last else None
    return [((), t)] if t is not None else []


def _ready(cs: Obj, _: Obj) -> list[Sample]:
    return [((), 1.0 if cs.get("ready") else 0.0)]


def _restarts(cs: Obj, _: Obj) -> list[Sample]:
    return [((), float(cs.get("restartCount", 0)))]


def _resources(specs_key: str, kind: str) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        node = spec(o).get("nodeName", "")
        out: list[Sample] = []
        for c in spec(o).get(specs_key) or []:
            res = (c.get("resources") or {}).get(kind)
            for resource, unit, value in resource_samples(res):
                out.append(
                    (
                        [
                            ("container", c.get("name", "")),
                            ("node", node),
                            ("resource", resource),
                            ("unit", unit),
                        ],
                        value,
                    )
                )
        return out

    return gen


def container_families() -> list[Family]:
    out: list[Family] = []
    for init in (False, True):
        p = "kube_pod_init_container" if init else "kube_pod_container"
        what = "init container" if init else "container"
        sk, ck = (
            ("initContainerStatuses", "initContainers")
            if init
            else ("containerStatuses", "containers")
        )

        def per(fn: Per, sk: str = sk, ck: str = ck) -> Generate:
            return _per_status(sk, ck, fn)

        out += [
            Family(
                f"{p}_info",
                f"Information about an {what} in a pod."
                if init
                else "Information about a container in a pod.",
                per(_info(init)),
            ),
            Family(
                f"{p}_status_waiting",
                f"Describes whether the {what} is currently in waiting state.",
                per(_is("waiting")),
            ),
            Family(
                f"{p}_status_waiting_reason",
                f"Describes the reason the {what} is currently in waiting state.",
                per(_reason("waiting")),
            ),
            Family(
                f"{p}_status_running",
                f"Describes whether the {what} is currently in running state.",
                per(_is("running")),
            ),
            Family(
                f"{p}_state_started",
                f"Start time in unix timestamp for a pod {what}.",
                per(_started),
            ),
            Family(
                f"{p}_status_terminated",
                f"Describes whether the {what} is currently in terminated state.",
                per(_is("terminated")),
            ),
            Family(
                f"{p}_status_terminated_reason",
                f"Describes the reason the {what} is currently in terminated state.",
                per(_reason("terminated")),
            ),
            Family(
                f"{p}_status_last_terminated_reason",
                f"Describes the last reason the {what} was in terminated state.",
                per(_last_reason),
            ),
            Family(
                f"{p}_status_last_terminated_exitcode",
                f"Describes the exit code for the last {what} in terminated state.",
                per(_last_exitcode),
            ),
            Family(
                f"{p}_status_last_terminated_timestamp",
                f"Last terminated time for a pod {what} in unix timestamp.",
                per(_last_timestamp),
            ),
            Family(
                f"{p}_status_ready",
                f"Describes whether the {what}s readiness check succeeded.",
                per(_ready),
            ),
            Family(
                f"{p}_status_restarts_total",
                f"The number of {what} restarts per {what}."
                if not init
                else "The number of restarts for the init container.",
                per(_restarts),
                type="counter",
            ),
            Family(
                f"{p}_resource_requests",
                f"The number of requested request resource by a{'n' if init else ''} {what}.",
                _resources(ck, "requests"),
            ),
            Family(
                f"{p}_resource_limits",
                f"The number of requested limit resource by a{'n' if init else ''} {what}.",
                _resources(ck, "limits"),
            ),
        ]
    return out
