"""Label sets: the identity of a series.

A ``Labels`` is an immutable tuple of ``(name, value)`` pairs sorted by name,
with no empty values (Prometheus treats an empty value as an absent label).
Being a tuple it hashes and compares fast, which the engine relies on when it
groups thousands of series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import overload

METRIC_NAME = "__name__"


class Labels(tuple[tuple[str, str], ...]):
    """An immutable, sorted label set: ``Labels.of(__name__="up", job="x")``."""

    __slots__ = ()

    @classmethod
    def of(cls, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Labels:
        items = dict(mapping or {})
        items.update(kwargs)
        return cls.from_pairs(items.items())

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Labels:
        """Build from pairs in any order; empty values are dropped, last duplicate wins."""
        merged = {name: value for name, value in pairs}
        return tuple.__new__(cls, sorted((n, v) for n, v in merged.items() if v != ""))

    @classmethod
    def from_sorted(cls, pairs: Iterable[tuple[str, str]]) -> Labels:
        """Build from pairs already sorted, unique and non-empty (no checks: hot path)."""
        return tuple.__new__(cls, pairs)

    @overload
    def get(self, name: str) -> str: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str = "") -> str:
        for n, v in self:
            if n == name:
                return v
        return default

    def has(self, name: str) -> bool:
        return any(n == name for n, _ in self)

    @property
    def name(self) -> str:
        """The metric name (``__name__``), or ``""``."""
        return self.get(METRIC_NAME)

    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self)

    def to_dict(self) -> dict[str, str]:
        return dict(self)

    def without(self, *names: str) -> Labels:
        drop = set(names)
        return Labels.from_sorted(p for p in self if p[0] not in drop)

    def without_name(self) -> Labels:
        if self and self[0][0] == METRIC_NAME:
            return Labels.from_sorted(self[1:])
        return self

    def only(self, *names: str) -> Labels:
        keep = set(names)
        return Labels.from_sorted(p for p in self if p[0] in keep)

    def with_(self, **kwargs: str) -> Labels:
        merged = dict(self)
        merged.update(kwargs)
        return Labels.from_pairs(merged.items())

    def set(self, name: str, value: str) -> Labels:
        merged = dict(self)
        merged[name] = value
        return Labels.from_pairs(merged.items())

    def __str__(self) -> str:
        """Prometheus notation: ``up{job="x"}`` or ``{job="x"}`` without a name."""
        name = ""
        parts = []
        for n, v in self:
            if n == METRIC_NAME and is_legacy_metric_name(v):
                name = v
                continue
            label = n if is_legacy_label_name(n) else quote(n)
            parts.append(f"{label}={quote(v)}")
        if name and not parts:
            return name
        return name + "{" + ", ".join(parts) + "}"

    def __repr__(self) -> str:
        return f"Labels({self!s})"


def quote(s: str) -> str:
    """A double-quoted PromQL/exposition string with Go-style escapes."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_LEGACY_LABEL_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_LEGACY_LABEL_REST = _LEGACY_LABEL_FIRST | frozenset("0123456789")


def is_legacy_label_name(s: str) -> bool:
    """``[a-zA-Z_][a-zA-Z0-9_]*``: usable without quotes."""
    return bool(s) and s[0] in _LEGACY_LABEL_FIRST and all(c in _LEGACY_LABEL_REST for c in s)


def is_legacy_metric_name(s: str) -> bool:
    """``[a-zA-Z_:][a-zA-Z0-9_:]*``: usable without quotes."""
    return (
        bool(s)
        and (s[0] in _LEGACY_LABEL_FIRST or s[0] == ":")
        and all(c in _LEGACY_LABEL_REST or c == ":" for c in s)
    )
