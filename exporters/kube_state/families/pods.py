"""Pod families (``--resources=pods``): identity ``namespace, pod, uid``.

Container-level families live in ``pod_containers.py``; this file assembles
both. Reason families emit only the reason that is set; phase, QoS class and
conditions enumerate every value as 0/1.
"""

from __future__ import annotations

from .base import (
    Family,
    Generate,
    Obj,
    Options,
    Sample,
    bool_str,
    condition_values,
    conditions,
    created,
    deletion_timestamp,
    md,
    meta_families,
    one,
    owner_samples,
    quantity,
    sanitize,
    spec,
    status,
    timestamp,
)
from .pod_containers import container_families

RESOURCE = "pods"
GO_TYPE = "*v1.Pod"
PHASES = ("Pending", "Succeeded", "Failed", "Unknown", "Running")
QOS_CLASSES = ("BestEffort", "Burstable", "Guaranteed")
#: kube_pod_status_reason values KSM recognises; anything else is "Other"
POD_REASONS = (
    "Evicted",
    "NodeAffinity",
    "NodeLost",
    "Shutdown",
    "UnexpectedAdmissionError",
    "SchedulingGated",
)


def identity(obj: Obj) -> list[tuple[str, str]]:
    m = md(obj)
    return [
        ("namespace", m.get("namespace", "")),
        ("pod", m.get("name", "")),
        ("uid", m.get("uid", "")),
    ]


def _info(o: Obj) -> list[Sample]:
    st, sp = status(o), spec(o)
    kind = name = "<none>"
    for ref in md(o).get("ownerReferences") or []:
        if ref.get("controller"):
            kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
    return one(
        [
            ("host_ip", st.get("hostIP", "")),
            ("pod_ip", st.get("podIP", "")),
            ("node", sp.get("nodeName", "")),
            ("created_by_kind", kind),
            ("created_by_name", name),
            ("priority_class", sp.get("priorityClassName", "")),
            ("host_network", bool_str(sp.get("hostNetwork"))),
        ]
    )


def _ips(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for entry in status(o).get("podIPs") or []:
        addr = str(entry.get("ip", ""))
        out.append(([("ip", addr), ("ip_family", "6" if ":" in addr else "4")], 1.0))
    return out


def _start_time(o: Obj) -> list[Sample]:
    t = timestamp(status(o).get("startTime"))
    return one(value=t) if t is not None else []


def _completion_time(o: Obj) -> list[Sample]:
    latest = None
    for cs in status(o).get("containerStatuses") or []:
        t = timestamp((cs.get("state") or {}).get("terminated", {}).get("finishedAt"))
        if t is not None and (latest is None or t > latest):
            latest = t
    return one(value=latest) if latest is not None else []


def _phase(o: Obj) -> list[Sample]:
    phase = status(o).get("phase", "")
    if not phase:
        return []
    return [([("phase", p)], 1.0 if p == phase else 0.0) for p in PHASES]


def _qos(o: Obj) -> list[Sample]:
    qos = status(o).get("qosClass", "")
    if not qos:
        return []
    return [([("qos_class", q)], 1.0 if q == qos else 0.0) for q in QOS_CLASSES]


def _condition(ctype: str) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        for c in conditions(o):
            if c.get("type") == ctype:
                return condition_values(str(c.get("status", "")), "condition")
        return []

    return gen


def _condition_time(ctype: str, want: str = "True") -> Generate:
    def gen(o: Obj) -> list[Sample]:
        for c in conditions(o):
            if c.get("type") == ctype and c.get("status") == want:
                t = timestamp(c.get("lastTransitionTime"))
                return one(value=t) if t is not None else []
        return []

    return gen


def _unschedulable(o: Obj) -> list[Sample]:
    for c in conditions(o):
        if (
            c.get("type") == "PodScheduled"
            and c.get("status") == "False"
            and c.get("reason") == "Unschedulable"
        ):
            return one()
    return []


def _reason(o: Obj) -> list[Sample]:
    reason = status(o).get("reason", "")
    if not reason:
        for c in conditions(o):
            if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
                reason = "SchedulingGated"
    if not reason:
        return []
    return one([("reason", reason if reason in POD_REASONS else "Other")])


def _disruption_reason(o: Obj) -> list[Sample]:
    for c in conditions(o):
        if c.get("type") == "DisruptionTarget" and c.get("status") == "True":
            return one([("reason", str(c.get("reason", "")))])
    return []


def _restart_policy(o: Obj) -> list[Sample]:
    policy = spec(o).get("restartPolicy", "")
    return one([("type", policy)]) if policy else []


def _overhead(resource: str) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        v = quantity((spec(o).get("overhead") or {}).get(resource))
        return one(value=v) if v is not None else []

    return gen


def _runtimeclass(o: Obj) -> list[Sample]:
    name = spec(o).get("runtimeClassName")
    return one([("runtimeclass_name", name)]) if name else []


def _pvc_info(readonly: bool) -> Generate:
    def gen(o: Obj) -> list[Sample]:
        out: list[Sample] = []
        pod_name = md(o).get("name", "")
        for vol in spec(o).get("volumes") or []:
            claim = vol.get("persistentVolumeClaim")
            if claim is not None:
                labels = [
                    ("volume", vol.get("name", "")),
                    ("persistentvolumeclaim", claim.get("claimName", "")),
                    ("ephemeral", "false"),
                ]
                out.append((labels, (1.0 if claim.get("readOnly") else 0.0) if readonly else 1.0))
            elif vol.get("ephemeral") is not None:
                # The generated claim is named <pod>-<volume>; it is never read-only.
                labels = [
                    ("volume", vol.get("name", "")),
                    ("persistentvolumeclaim", f"{pod_name}-{vol.get('name', '')}"),
                    ("ephemeral", "true"),
                ]
                out.append((labels, 0.0 if readonly else 1.0))
        return out

    return gen


def _tolerations(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    for t in spec(o).get("tolerations") or []:
        secs = t.get("tolerationSeconds")
        out.append(
            (
                [
                    ("key", t.get("key", "")),
                    ("operator", t.get("operator", "")),
                    ("value", t.get("value", "")),
                    ("effect", t.get("effect", "")),
                    ("toleration_seconds", "" if secs is None else str(secs)),
                ],
                1.0,
            )
        )
    return out


def _service_account(o: Obj) -> list[Sample]:
    sa = spec(o).get("serviceAccountName", "")
    return one([("service_account", sa)]) if sa else []


def _scheduler(o: Obj) -> list[Sample]:
    name = spec(o).get("schedulerName", "")
    return one([("name", name)]) if name else []


def _nodeselectors(o: Obj) -> list[Sample]:
    sel = spec(o).get("nodeSelector") or {}
    return one([(f"nodeselector_{sanitize(k)}", str(v)) for k, v in sorted(sel.items())])


def _resourceclaims(o: Obj) -> list[Sample]:
    out: list[Sample] = []
    generated = {
        s.get("name"): s.get("resourceClaimName", "")
        for s in status(o).get("resourceClaimStatuses") or []
    }
    for claim in spec(o).get("resourceClaims") or []:
        name = claim.get("name", "")
        rc = claim.get("resourceClaimName") or generated.get(name, "") or ""
        out.append(
            (
                [
                    ("claim_name", name),
                    ("resourceclaim_name", rc),
                    ("resourceclaim_template_name", claim.get("resourceClaimTemplateName", "")),
                ],
                1.0,
            )
        )
    return out


def families(opts: Options) -> list[Family]:
    fams = [
        *meta_families(RESOURCE, "pod", opts),
        Family("kube_pod_info", "Information about pod.", _info),
        Family("kube_pod_ips", "Pod IP addresses", _ips),
        Family("kube_pod_start_time", "Start time in unix timestamp for a pod.", _start_time),
        Family(
            "kube_pod_completion_time",
            "Completion time in unix timestamp for a pod.",
            _completion_time,
        ),
        Family("kube_pod_owner", "Information about the Pod's owner.", owner_samples),
        Family("kube_pod_status_phase", "The pods current phase.", _phase),
        Family("kube_pod_status_qos_class", "The pods current qosClass.", _qos),
        Family(
            "kube_pod_status_ready",
            "Describes whether the pod is ready to serve requests.",
            _condition("Ready"),
        ),
        Family(
            "kube_pod_status_scheduled",
            "Describes the status of the scheduling process for the pod.",
            _condition("PodScheduled"),
        ),
        Family(
            "kube_pod_status_scheduled_time",
            "Unix timestamp when pod moved into scheduled status",
            _condition_time("PodScheduled"),
        ),
        Family(
            "kube_pod_status_unschedulable",
            "Describes the unschedulable status for the pod.",
            _unschedulable,
        ),
        Family(
            "kube_pod_status_unscheduled_time",
            "Unix timestamp when pod moved into unscheduled status",
            _condition_time("PodScheduled", "False"),
        ),
        Family(
            "kube_pod_status_initialized_time",
            "Time when the pod is initialized.",
            _condition_time("Initialized"),
        ),
        Family(
            "kube_pod_status_ready_time",
            "Time when pod passed readiness probes.",
            _condition_time("Ready"),
        ),
        Family(
            "kube_pod_status_container_ready_time",
            "Time when the container of the pod entered Ready state.",
            _condition_time("ContainersReady"),
        ),
        Family("kube_pod_status_reason", "The pod status reasons", _reason),
        Family(
            "kube_pod_status_disruption_reason",
            "The pod disruption condition reason",
            _disruption_reason,
        ),
        *container_families(),
        Family(
            "kube_pod_overhead_cpu_cores",
            "The pod overhead in regards to cpu cores associated with running a pod.",
            _overhead("cpu"),
        ),
        Family(
            "kube_pod_overhead_memory_bytes",
            "The pod overhead in regards to memory associated with running a pod.",
            _overhead("memory"),
        ),
        Family(
            "kube_pod_runtimeclass_name_info",
            "The runtimeclass associated with the pod.",
            _runtimeclass,
        ),
        created("pod"),
        deletion_timestamp("pod"),
        Family(
            "kube_pod_restart_policy",
            "Describes the restart policy in use by this pod.",
            _restart_policy,
        ),
        Family(
            "kube_pod_spec_volumes_persistentvolumeclaims_info",
            "Information about persistentvolumeclaim volumes in a pod.",
            _pvc_info(False),
        ),
        Family(
            "kube_pod_spec_volumes_persistentvolumeclaims_readonly",
            "Describes whether a persistentvolumeclaim is mounted read only.",
            _pvc_info(True),
        ),
        Family("kube_pod_tolerations", "Information about the pod tolerations", _tolerations),
        Family("kube_pod_service_account", "The service account for a pod.", _service_account),
        Family("kube_pod_scheduler", "The scheduler for a pod.", _scheduler),
        Family(
            "kube_pod_nodeselectors",
            "Describes the Pod nodeSelectors.",
            _nodeselectors,
            opt_in=True,
        ),
        Family(
            "kube_pod_resourceclaim_info",
            "Information about a DRA ResourceClaim referenced by a pod.",
            _resourceclaims,
        ),
    ]
    return fams
