"""Label and field selectors as the API server parses them (``labelSelector``
and ``fieldSelector`` query parameters).

Label selectors: ``k``, ``!k``, ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``,
``k notin (a,b)``, comma-separated (AND). Field selectors: ``f=v``, ``f==v``,
``f!=v`` on the dotted paths a kind supports (``field label not supported``
otherwise, as upstream).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BadRequest

Obj = dict[str, Any]

_KEY = r"(?:[A-Za-z0-9][-A-Za-z0-9_./]*)?[A-Za-z0-9]"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"\s*({_KEY})\s+(in|notin)\s*\(([^)]*)\)\s*")
_CMP_RE = re.compile(rf"\s*({_KEY})\s*(==|!=|=)\s*({_VALUE})\s*")
_EXISTS_RE = re.compile(rf"\s*(!?)\s*({_KEY})\s*")

#: fields every kind supports, plus the per-kind extras the real server allows
_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "pods": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "nodes": ("spec.unschedulable",),
    "namespaces": ("status.phase",),
    "jobs": ("status.successful",),
    "persistentvolumeclaims": ("status.phase",),
    "persistentvolumes": ("status.phase",),
    "services": ("spec.clusterIP", "spec.type"),
    "replicasets": ("status.replicas",),
}


@dataclass(frozen=True, slots=True)
class LabelRequirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match objects without the label, as upstream
        return not present or labels[self.key] not in self.values


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_label_selector(text: str) -> tuple[LabelRequirement, ...]:
    """Parse a ``labelSelector``; BadRequest with the offending term otherwise."""
    if not text.strip():
        return ()
    reqs = []
    for term in _split_top(text):
        if m := _SET_RE.fullmatch(term):
            values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
            if not values:
                raise BadRequest(
                    f"unable to parse requirement: {term.strip()!r}: "
                    "for 'in', 'notin' operators, values set can't be empty"
                )
            reqs.append(LabelRequirement(m.group(1), m.group(2), values))
        elif m := _CMP_RE.fullmatch(term):
            op = "=" if m.group(2) == "==" else m.group(2)
            reqs.append(LabelRequirement(m.group(1), op, (m.group(3),)))
        elif m := _EXISTS_RE.fullmatch(term):
            reqs.append(LabelRequirement(m.group(2), "!" if m.group(1) else "exists"))
        else:
            raise BadRequest(
                f"unable to parse requirement: {term.strip()!r}: "
                "found unexpected token in label selector"
            )
    return tuple(reqs)


def label_matcher(text: str) -> Callable[[Obj], bool] | None:
    """A predicate on objects for a label selector (None: matches everything)."""
    reqs = parse_label_selector(text)
    if not reqs:
        return None

    def match(obj: Obj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(r.matches(labels) for r in reqs)

    return match


def _field_value(obj: Obj, path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def field_matcher(plural: str, text: str) -> Callable[[Obj], bool] | None:
    """A predicate for a ``fieldSelector`` on ``plural`` (None: everything)."""
    if not text.strip():
        return None
    allowed = set(_COMMON_FIELDS) | set(_KIND_FIELDS.get(plural, ()))
    terms: list[tuple[str, bool, str]] = []
    for term in text.split(","):
        for op in ("!=", "==", "="):
            if op in term:
                path, _, value = term.partition(op)
                path = path.strip()
                if path not in allowed:
                    raise BadRequest(
                        f'"{path}" is not a known field selector: only '
                        f'"{", ".join(sorted(allowed))}"'
                    )
                terms.append((path, op == "!=", value.strip()))
                break
        else:
            raise BadRequest(f"invalid selector: '{text}'; can't understand '{term}'")

    def match(obj: Obj) -> bool:
        return all((_field_value(obj, p) == v) != neg for p, neg, v in terms)

    return match
