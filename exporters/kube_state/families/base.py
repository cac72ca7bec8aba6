"""What every family file is built from.

A ``Family`` is a name, HELP, type and a generator ``obj -> [(labels, value)]``
over the object's JSON (camelCase, as the API server sends it). Identity labels
(``namespace, pod, uid`` ...) are not part of ``labels``: the store prefixes
them, so every series of a resource starts with them in KSM's order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..filters import KeyAllowlist

Obj = dict[str, Any]
Pairs = Sequence[tuple[str, str]]
Sample = tuple[Pairs, float]
Generate = Callable[[Obj], Iterable[Sample]]

NO_LABELS: Pairs = ()


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    help: str
    generate: Generate
    type: str = "gauge"
    opt_in: bool = False


@dataclass(frozen=True, slots=True)
class Options:
    """Per-resource options: the label/annotation allowlists (None: family absent)."""

    labels: KeyAllowlist | None = None
    annotations: KeyAllowlist | None = None


def one(labels: Pairs = NO_LABELS, value: float = 1.0) -> list[Sample]:
    return [(labels, value)]


def md(obj: Obj) -> Obj:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def spec(obj: Obj) -> Obj:
    s = obj.get("spec")
    return s if isinstance(s, dict) else {}


def status(obj: Obj) -> Obj:
    s = obj.get("status")
    return s if isinstance(s, dict) else {}


def bool_str(value: Any) -> str:
    return "true" if value else "false"


def timestamp(text: Any) -> float | None:
    """RFC 3339 (``2025-01-01T00:00:00Z``, fractions allowed) -> unix seconds."""
    if not text or not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_QUANTITY = re.compile(
    r"([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?"
)
_SUFFIX = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def quantity(value: Any) -> float | None:
    """A Kubernetes resource.Quantity (``100m``, ``1Gi``, ``1e3``, ``5``) in base units."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    m = _QUANTITY.fullmatch(value.strip())
    if m is None:
        return None
    try:
        number = Decimal(m.group(1))
    except InvalidOperation:
        return None
    if m.group(2):
        number *= Decimal(10) ** int(m.group(2)[1:])
    elif m.group(3):
        number *= _SUFFIX[m.group(3)]
    return float(number)


_INVALID_LABEL_CHARS = re.compile(r"[^a-zA-Z0-9_]")


def sanitize(name: str) -> str:
    return _INVALID_LABEL_CHARS.sub("_", name)


def map_to_labels(
    prefix: str, mapping: Mapping[str, str], allow: KeyAllowlist
) -> list[tuple[str, str]]:
    """``{app.kubernetes.io/name: x}`` -> ``[(label_app_kubernetes_io_name, x)]``, keys in
    sorted order; keys that sanitise to the same name all get ``_conflictN`` suffixes."""
    keys = sorted(k for k in mapping if allow.allows(k))
    names = [f"{prefix}_{sanitize(k)}" for k in keys]
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for k, n in zip(keys, names, strict=True):
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            n = f"{n}_conflict{seen[n]}"
        out.append((n, str(mapping[k])))
    return out


def meta_families(resource: str, singular: str, opts: Options) -> list[Family]:
    """``kube_<singular>_labels`` / ``_annotations``, only for allowlisted resources."""
    out = []
    if opts.labels is not None:
        allow = opts.labels
        out.append(
            Family(
                f"kube_{singular}_labels",
                "Kubernetes labels converted to Prometheus labels.",
                lambda o: one(map_to_labels("label", md(o).get("labels") or {}, allow)),
            )
        )
    if opts.annotations is not None:
        allow_a = opts.annotations
        out.append(
            Family(
                f"kube_{singular}_annotations",
                "Kubernetes annotations converted to Prometheus labels.",
                lambda o: one(map_to_labels("annotation", md(o).get("annotations") or {}, allow_a)),
            )
        )
    return out


def created(singular: str, help_text: str = "Unix creation timestamp") -> Family:
    def gen(o: Obj) -> list[Sample]:
        t = timestamp(md(o).get("creationTimestamp"))
        return one(value=t) if t is not None else []

    return Family(f"kube_{singular}_created", help_text, gen)


def deletion_timestamp(singular: str) -> Family:
    def gen(o: Obj) -> list[Sample]:
        t = timestamp(md(o).get("deletionTimestamp"))
        return one(value=t) if t is not None else []

    return Family(f"kube_{singular}_deletion_timestamp", "Unix deletion timestamp", gen)


def number(path: Callable[[Obj], Any]) -> Generate:
    """A family whose value is a numeric field (absent or non-numeric: no series)."""

    def gen(o: Obj) -> list[Sample]:
        v = path(o)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return []
        return one(value=float(v))

    return gen


def number_or_zero(path: Callable[[Obj], Any]) -> Generate:
    """Like ``number`` but an absent field counts as 0 (Go zero values)."""

    def gen(o: Obj) -> list[Sample]:
        v = path(o)
        return one(
            value=float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0
        )

    return gen


def gauge(name: str, help_text: str, generate: Generate) -> Family:
    return Family(name, help_text, generate)


CONDITION_STATUSES = (("true", "True"), ("false", "False"), ("unknown", "Unknown"))


def condition_values(cond_status: str, label: str = "status") -> list[Sample]:
    """One series per possible status, 1 on the current one (KSM's addConditionMetrics)."""
    return [
        (((label, lower),), 1.0 if cond_status == upper else 0.0)
        for lower, upper in CONDITION_STATUSES
    ]


def conditions(obj: Obj) -> list[Obj]:
    cs = status(obj).get("conditions")
    return [c for c in cs if isinstance(c, dict)] if isinstance(cs, list) else []


def owner_samples(obj: Obj, *, with_controller: bool = True) -> list[Sample]:
    """One series per ownerReference; a single all-empty one when there is none."""
    refs = md(obj).get("ownerReferences") or []
    if not refs:
        labels: list[tuple[str, str]] = [("owner_kind", ""), ("owner_name", "")]
        if with_controller:
            labels.append(("owner_is_controller", ""))
        return one(labels)
    out: list[Sample] = []
    for ref in refs:
        labels = [
            ("owner_kind", str(ref.get("kind", ""))),
            ("owner_name", str(ref.get("name", ""))),
        ]
        if with_controller:
            labels.append(("owner_is_controller", bool_str(ref.get("controller"))))
        out.append((labels, 1.0))
    return out


def int_or_percent(value: Any, total: float, *, round_up: bool) -> float | None:
    """An IntOrString (``1`` or ``"25%"``) resolved against ``total``, as
    ``intstr.GetScaledValueFromIntOrPercent`` (maxSurge rounds up, maxUnavailable down)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.endswith("%"):
        try:
            pct = float(value[:-1])
        except ValueError:
            return None
        scaled = pct * total / 100.0
        return float(math.ceil(scaled) if round_up else math.floor(scaled))
    if isinstance(value, str) and value.isdigit():
        return float(value)
    return None
