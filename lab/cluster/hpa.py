"""An ``autoscaling/v2`` HorizontalPodAutoscaler controller for the simulated
cluster: the scaling algorithm as documented for Kubernetes, written from the
documentation (not from upstream's code).

Two layers:

* ``Autoscaler`` — the pure algorithm for one HPA, with its memory
  (recommendations for the stabilization windows, past scale events for the
  policies). ``recommend(current, readings, now_s)`` returns a ``Decision``.
  Scenarios use it directly inside a replay.
* ``HpaController`` — the control loop over a ``Cluster``: every HPA object
  in the store is read, its metrics fetched from a ``MetricSource`` (e.g. PromQL
  over the lab's storage), the decision written to the HPA's ``status`` and
  the target Deployment scaled through ``Cluster.scale_deployment``.

The algorithm, per sync:

1. each metric proposes ``ceil(current * reading / target)`` (for an External
   or Object metric with an ``AverageValue`` target, ``ceil(total / target)``);
   a usage ratio within ``tolerance`` (0.1) of 1 proposes ``current``; the
   largest proposal wins; no readable metric means no change;
2. ``current`` outside ``[minReplicas, maxReplicas]`` is brought back first,
   and ``current == 0`` disables scaling (the HPA is "scaled to zero");
3. stabilization: the proposal is remembered; scaling up goes no higher than
   the *smallest* proposal of the last ``scaleUp.stabilizationWindowSeconds``
   (default 0 s), scaling down no lower than the *largest* proposal of the last
   ``scaleDown.stabilizationWindowSeconds`` (default 300 s);
4. policies: within each policy's ``periodSeconds`` at most ``value`` pods
   (``Pods``) or ``value`` percent of the replicas at the start of the period
   (``Percent``) may be added or removed; ``selectPolicy: Max`` (default)
   allows the largest change, ``Min`` the smallest, ``Disabled`` none. Defaults:
   up ``max(100 % / 15 s, 4 pods / 15 s)``, down ``100 % / 15 s``;
5. the result is clamped to ``[minReplicas, maxReplicas]``.

Differences from kube-controller-manager: no pod readiness / missing-pod
corrections for Resource metrics (a reading is taken as given), percentage
limits round up when adding and down when removing (so a 100 % policy never
blocks a whole step), and ``ScalingLimited`` names only the first limit hit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from .control import Cluster
from .store import Obj, rfc3339

TOLERANCE: Final = 0.1
SYNC_PERIOD_S: Final = 15.0


@dataclass(frozen=True, slots=True)
class Policy:
    type: str  # "Pods" | "Percent"
    value: int
    period_s: float


@dataclass(frozen=True, slots=True)
class Rules:
    """One direction's behavior (``spec.behavior.scaleUp`` / ``scaleDown``)."""

    stabilization_s: float
    select: str  # "Max" | "Min" | "Disabled"
    policies: tuple[Policy, ...]


DEFAULT_UP: Final = Rules(0.0, "Max", (Policy("Percent", 100, 15.0), Policy("Pods", 4, 15.0)))
DEFAULT_DOWN: Final = Rules(300.0, "Max", (Policy("Percent", 100, 15.0),))


@dataclass(frozen=True, slots=True)
class MetricTarget:
    """One ``spec.metrics`` entry: where it comes from and what it aims at."""

    source: str  # "Resource" | "ContainerResource" | "Pods" | "Object" | "External"
    name: str
    type: str  # "Utilization" | "AverageValue" | "Value"
    value: float
    selector: Mapping[str, str] = field(default_factory=dict)

    @property
    def total(self) -> bool:
        """The reading is a total to divide by the per-pod target, not an average."""
        return self.type == "AverageValue" and self.source in ("External", "Object")


@dataclass(frozen=True, slots=True)
class HpaSpec:
    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricTarget, ...]
    up: Rules = DEFAULT_UP
    down: Rules = DEFAULT_DOWN

    @classmethod
    def from_object(cls, hpa: Obj) -> HpaSpec:
        """From an ``autoscaling/v2`` object (``ValueError`` naming a bad field)."""
        spec = hpa.get("spec", {})
        behavior = spec.get("behavior") or {}
        return cls(
            int(spec.get("minReplicas", 1)),
            int(spec["maxReplicas"]),
            tuple(_metric(m) for m in spec.get("metrics") or _DEFAULT_METRICS),
            _rules(behavior.get("scaleUp"), DEFAULT_UP),
            _rules(behavior.get("scaleDown"), DEFAULT_DOWN),
        )


#: autoscaling/v2's default when ``metrics`` is empty: 80 % CPU utilisation.
_DEFAULT_METRICS: Final = [
    {"type": "Resource",
     "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
]  # fmt: skip


def quantity(text: object) -> float:
    """A Kubernetes quantity (``"500m"``, ``"2"``, ``"1.5k"``, ``"64Mi"``) as a float."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    s = str(text).strip()
    for suffix, factor in (("Ki", 2.0**10), ("Mi", 2.0**20), ("Gi", 2.0**30), ("Ti", 2.0**40),
                           ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)):
        if s.endswith(suffix):
            return float(s[: -len(suffix)]) * factor
    return float(s)


def format_quantity(value: float) -> str:
    """Milli-units when fractional, as the API server prints ``500m``."""
    if value == int(value):
        return str(int(value))
    return f"{round(value * 1000)}m"


def _metric(m: Mapping[str, Any]) -> MetricTarget:
    kind = m.get("type", "")
    key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
           "Object": "object", "External": "external"}.get(kind)
    if key is None or key not in m:
        raise ValueError(f"spec.metrics: unsupported metric type {kind!r}")
    body = m[key]
    if kind in ("Resource", "ContainerResource"):
        name, selector = body["name"], {}
    else:
        name = body["metric"]["name"]
        selector = dict((body["metric"].get("selector") or {}).get("matchLabels") or {})
    target = body["target"]
    ttype = target["type"]
    field_name = {"Utilization": "averageUtilization", "AverageValue": "averageValue",
                  "Value": "value"}.get(ttype)
    if field_name is None or field_name not in target:
        raise ValueError(f"spec.metrics[{name}]: target type {ttype!r} needs {field_name}")
    return MetricTarget(kind, name, ttype, quantity(target[field_name]), selector)


def _rules(body: Mapping[str, Any] | None, default: Rules) -> Rules:
    if not body:
        return default
    window = body.get("stabilizationWindowSeconds")
    policies = body.get("policies")
    return Rules(
        default.stabilization_s if window is None else float(window),
        body.get("selectPolicy", "Max"),
        default.policies if not policies else tuple(
            Policy(p["type"], int(p["value"]), float(p["periodSeconds"])) for p in policies
        ),
    )


@dataclass(frozen=True, slots=True)
class Decision:
    desired: int
    #: the metrics' proposal before stabilization and policies (None: no metric)
    proposal: int | None
    #: why ``desired`` differs from the proposal, upstream's condition reasons
    #: (``TooManyReplicas``, ``TooFewReplicas``, ``ScaleUpLimit``,
    #: ``ScaleDownLimit``, ``ScaleUpStabilized``, ``ScaleDownStabilized``) or ""
    limited: str = ""


def proposal(current: int, target: MetricTarget, reading: float,
             tolerance: float = TOLERANCE) -> int:
    """Replicas one metric asks for."""
    if target.total:
        ratio = reading / (target.value * current)
        wanted = math.ceil(reading / target.value)
    else:
        ratio = reading / target.value
        wanted = math.ceil(current * ratio)
    if abs(ratio - 1.0) <= tolerance:
        return current
    return wanted


class Autoscaler:
    """One HPA's algorithm and memory; feed it every sync."""

    def __init__(self, spec: HpaSpec, tolerance: float = TOLERANCE) -> None:
        self.spec = spec
        self.tolerance = tolerance
        self._recommendations: list[tuple[float, int]] = []
        #: (time, replicas added > 0 or removed < 0)
        self._events: list[tuple[float, int]] = []
        self._seeded = False

    def recommend(self, current: int, readings: Sequence[float | None], now_s: float
                  ) -> Decision:
        """``readings[i]`` is the current value of ``spec.metrics[i]`` (None: unavailable)."""
        s = self.spec
        if current > s.max_replicas:
            return self._apply(current, s.max_replicas, None, "TooManyReplicas", now_s)
        if current < s.min_replicas:
            return self._apply(current, s.min_replicas, None, "TooFewReplicas", now_s)
        if current == 0:
            return Decision(0, None, "")
        asked = [proposal(current, m, r, self.tolerance)
                 for m, r in zip(s.metrics, readings, strict=True) if r is not None]
        if not asked:
            return Decision(current, None, "")
        raw = max(asked)
        if not self._seeded:
            # As kube-controller-manager: a newly seen HPA starts with the current
            # count as a recommendation, so a (re)started controller does not
            # scale down at once.
            self._recommendations.append((now_s, current))
            self._seeded = True
        self._recommendations.append((now_s, raw))
        stabilized, why = self._stabilize(current, raw, now_s)
        desired, limit = self._limit(current, stabilized, now_s)
        return self._apply(current, desired, raw, limit or why, now_s)

    def _apply(self, current: int, desired: int, raw: int | None, why: str, now_s: float
               ) -> Decision:
        if desired != current:
            self._events.append((now_s, desired - current))
        self._forget(now_s)
        return Decision(desired, raw, why if desired != raw else "")

    def _stabilize(self, current: int, raw: int, now_s: float) -> tuple[int, str]:
        up = [r for t, r in self._recommendations if t > now_s - self.spec.up.stabilization_s]
        down = [r for t, r in self._recommendations if t > now_s - self.spec.down.stabilization_s]
        up_rec = min([*up, raw])
        down_rec = max([*down, raw])
        if current < up_rec:
            stabilized = up_rec
        elif current > down_rec:
            stabilized = down_rec
        else:
            stabilized = current
        if stabilized == raw:
            return stabilized, ""
        return stabilized, "ScaleUpStabilized" if raw > stabilized else "ScaleDownStabilized"

    def _limit(self, current: int, desired: int, now_s: float) -> tuple[int, str]:
        s = self.spec
        if desired > current:
            top = min(self._up_limit(current, now_s), s.max_replicas)
            if desired > top:
                return top, "ScaleUpLimit" if top < s.max_replicas else "TooManyReplicas"
        elif desired < current:
            bottom = max(self._down_limit(current, now_s), s.min_replicas)
            if desired < bottom:
                return bottom, "ScaleDownLimit" if bottom > s.min_replicas else "TooFewReplicas"
        return max(s.min_replicas, min(desired, s.max_replicas)), ""

    def _changed_within(self, period_s: float, now_s: float, sign: int) -> int:
        return sum(d for t, d in self._events if t > now_s - period_s and d * sign > 0)

    def _up_limit(self, current: int, now_s: float) -> int:
        rules = self.spec.up
        if rules.select == "Disabled":
            return current
        limits = []
        for p in rules.policies:
            start = current - self._changed_within(p.period_s, now_s, +1)
            if p.type == "Pods":
                limits.append(start + p.value)
            else:
                limits.append(math.ceil(start * (1 + p.value / 100)))
        return (min if rules.select == "Min" else max)(limits)

    def _down_limit(self, current: int, now_s: float) -> int:
        rules = self.spec.down
        if rules.select == "Disabled":
            return current
        limits = []
        for p in rules.policies:
            start = current - self._changed_within(p.period_s, now_s, -1)  # adds back removals
            if p.type == "Pods":
                limits.append(start - p.value)
            else:
                limits.append(math.floor(start * (1 - p.value / 100)))
        # "Max" allows the biggest change: the lowest floor.
        return (max if rules.select == "Min" else min)(limits)

    def _forget(self, now_s: float) -> None:
        keep_s = max(self.spec.up.stabilization_s, self.spec.down.stabilization_s)
        self._recommendations = [(t, r) for t, r in self._recommendations if t > now_s - keep_s]
        longest = max((p.period_s for p in (*self.spec.up.policies, *self.spec.down.policies)),
                      default=0.0)
        self._events = [(t, d) for t, d in self._events if t > now_s - longest]


class MetricSource(Protocol):
    """Current value of one HPA metric in a namespace (None: unavailable)."""

    def read(self, namespace: str, target: MetricTarget) -> float | None: ...


@dataclass
class QueryMetrics:
    """A ``MetricSource`` answering from named queries: ``queries[name]`` is
    called with (namespace, selector) and returns the value (or None)."""

    queries: Mapping[str, Callable[[str, Mapping[str, str]], float | None]]

    def read(self, namespace: str, target: MetricTarget) -> float | None:
        query = self.queries.get(target.name)
        return None if query is None else query(namespace, target.selector)


class HpaController:
    """The control loop: ``sync(now_s)`` reconciles every HPA in the cluster."""

    def __init__(self, cluster: Cluster, metrics: MetricSource,
                 tolerance: float = TOLERANCE) -> None:
        self.cluster = cluster
        self.metrics = metrics
        self.tolerance = tolerance
        self._autoscalers: dict[str, tuple[HpaSpec, Autoscaler]] = {}

    def sync(self, now_s: float) -> dict[tuple[str, str], Decision]:
        """One pass over every HPA; returns the decisions by (namespace, name)."""
        out: dict[tuple[str, str], Decision] = {}
        for hpa in list(self.cluster.store.items("horizontalpodautoscalers")):
            meta = hpa["metadata"]
            ref = hpa["spec"]["scaleTargetRef"]
            if ref.get("kind") != "Deployment":
                continue  # only Deployments scale in the lab
            ns, name = meta["namespace"], meta["name"]
            out[(ns, name)] = self._sync_one(hpa, ns, name, ref["name"], now_s)
        return out

    def _sync_one(self, hpa: Obj, ns: str, name: str, target: str, now_s: float) -> Decision:
        spec = HpaSpec.from_object(hpa)
        known = self._autoscalers.get(meta_uid(hpa))
        if known is None or known[0] != spec:
            known = (spec, Autoscaler(spec, self.tolerance))
            self._autoscalers[meta_uid(hpa)] = known
        current = int(self.cluster.get("deployments", ns, target)["spec"].get("replicas", 1))
        readings = [self.metrics.read(ns, m) for m in spec.metrics]
        decision = known[1].recommend(current, readings, now_s)
        if decision.desired != current:
            self.cluster.scale_deployment(ns, target, decision.desired)
        self.cluster.store.mutate(
            "horizontalpodautoscalers", ns, name,
            lambda o: o.__setitem__("status", _status(o, spec, current, readings, decision,
                                                      now_s)),
        )
        return decision


def meta_uid(obj: Obj) -> str:
    m = obj["metadata"]
    return str(m.get("uid") or f"{m.get('namespace')}/{m['name']}")


def _status(hpa: Obj, spec: HpaSpec, current: int, readings: Sequence[float | None],
            d: Decision, now_s: float) -> dict[str, Any]:
    old = hpa.get("status") or {}
    now = rfc3339(now_s)
    status: dict[str, Any] = {
        "currentReplicas": current,
        "desiredReplicas": d.desired,
        "currentMetrics": [_current(m, r) for m, r in zip(spec.metrics, readings, strict=True)
                           if r is not None],
        "conditions": [
            _cond("AbleToScale", True, "SucceededRescale" if d.desired != current
                  else "ReadyForNewScale", now),
            _cond("ScalingActive", d.proposal is not None,
                  "ValidMetricFound" if d.proposal is not None else "FailedGetExternalMetric",
                  now),
            _cond("ScalingLimited", bool(d.limited), d.limited or "DesiredWithinRange", now),
        ],
    }
    last = now if d.desired != current else old.get("lastScaleTime")
    if last:
        status["lastScaleTime"] = last
    return status


def _current(m: MetricTarget, reading: float) -> dict[str, Any]:
    if m.type == "Utilization":
        value: dict[str, Any] = {"averageUtilization": round(reading)}
    elif m.type == "AverageValue":
        value = {"averageValue": format_quantity(reading)}
    else:
        value = {"value": format_quantity(reading)}
    key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
           "Object": "object", "External": "external"}[m.source]
    body: dict[str, Any] = {"current": value}
    if m.source in ("Resource", "ContainerResource"):
        body["name"] = m.name
    else:
        body["metric"] = {"name": m.name}
    return {"type": m.source, key: body}


def _cond(ctype: str, ok: bool, reason: str, now: str) -> dict[str, str]:
    return {"type": ctype, "status": "True" if ok else "False", "reason": reason,
            "lastTransitionTime": now}
