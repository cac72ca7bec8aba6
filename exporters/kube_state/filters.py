"""Which families and which Kubernetes label/annotation keys are exposed.

* ``--metric-allowlist`` / ``--metric-denylist`` (mutually exclusive): comma-
  separated exact names or regexes, each matched against the whole family name.
* ``--metric-opt-in-list``: opt-in families (e.g. ``kube_pod_nodeselectors``).
* ``--metric-labels-allowlist`` / ``--metric-annotations-allowlist``:
  ``pods=[app,team],namespaces=[*]``; ``*=[...]`` applies to every resource;
  ``*`` as a list's first entry means every key; a key may contain one ``*``
  wildcard (``example.org/foo-*``). Resources not named get no
  ``kube_<resource>_labels`` / ``_annotations`` family at all (KSM >= 2.10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ConfigError


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def compile_metric_list(text: str, flag: str) -> list[re.Pattern[str]]:
    out = []
    for item in _split_list(text):
        try:
            out.append(re.compile(item))
        except re.error as exc:
            raise ConfigError(f"{flag}: {item!r} is not a valid regex: {exc}") from None
    return out


@dataclass(frozen=True)
class MetricFilter:
    allow: tuple[re.Pattern[str], ...] = ()
    deny: tuple[re.Pattern[str], ...] = ()
    opt_in: frozenset[str] = frozenset()

    @classmethod
    def from_flags(cls, allowlist: str = "", denylist: str = "", opt_in: str = "") -> MetricFilter:
        allow = compile_metric_list(allowlist, "--metric-allowlist")
        deny = compile_metric_list(denylist, "--metric-denylist")
        if allow and deny:
            raise ConfigError(
                "--metric-allowlist and --metric-denylist are mutually exclusive; use one"
            )
        return cls(tuple(allow), tuple(deny), frozenset(_split_list(opt_in)))

    def keep(self, name: str, *, opt_in: bool = False) -> bool:
        if opt_in and name not in self.opt_in:
            return False
        if self.allow:
            return any(p.fullmatch(name) for p in self.allow)
        return not any(p.fullmatch(name) for p in self.deny)


_ALLOWLIST_ITEM = re.compile(r"\s*([A-Za-z0-9_.*-]+)\s*=\s*\[([^\]]*)\]\s*")


def parse_key_allowlist(text: str, flag: str) -> dict[str, tuple[str, ...]]:
    """``pods=[app,team],*=[x]`` -> {"pods": ("app", "team"), "*": ("x",)}."""
    out: dict[str, tuple[str, ...]] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ALLOWLIST_ITEM.match(text, pos)
        if m is None:
            raise ConfigError(
                f"{flag}: cannot parse {text[pos:]!r}: expected resource=[key,...] "
                "(e.g. pods=[app,team],namespaces=[*])"
            )
        resource, keys = m.group(1), tuple(_split_list(m.group(2)))
        out[resource] = out.get(resource, ()) + keys
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise ConfigError(f"{flag}: expected ',' at {text[pos:]!r}")
            pos += 1
    return out


@dataclass(frozen=True)
class KeyAllowlist:
    """The keys of one resource that ``kube_<resource>_labels`` (or annotations) exposes."""

    keys: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, keys: tuple[str, ...]) -> KeyAllowlist:
        pats = tuple(
            re.compile(re.escape(k).replace(r"\*", ".*")) for k in keys if "*" in k and k != "*"
        )
        return cls(keys, pats)

    @property
    def everything(self) -> bool:
        # KSM honours "*" only as the first entry of a list.
        return bool(self.keys) and self.keys[0] == "*"

    def allows(self, key: str) -> bool:
        return self.everything or key in self.keys or any(p.fullmatch(key) for p in self.patterns)


def allowlist_for(spec: dict[str, tuple[str, ...]], resource: str) -> KeyAllowlist | None:
    """The allowlist for a resource, or None when the family must not be emitted."""
    if resource not in spec and "*" not in spec:
        return None
    return KeyAllowlist.of(spec.get(resource, ()) + spec.get("*", ()))
