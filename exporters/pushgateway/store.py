"""The pushgateway's state: metric groups, PUT/POST/DELETE semantics, and an
index that makes the consistency check incremental.

Upstream checks a push by copying the store, applying the push and gathering
everything (O(all series) per push). Here an ``Index`` keeps, per family
name, how many groups hold it with which type, and per series identity which
groups hold it; a push is checked against that in O(size of the push). The
rules and texts are client_golang's gather checks: type clashes, duplicate
series, suffix collisions (``x_count`` next to a summary ``x``), invalid label
names, the pushgateway's own families' types, no timestamps.

Every state change is also handed to ``journal`` (persistence) as a record;
``apply`` replays such records without checks. All methods are synchronous:
the event loop calls them one at a time, so each write is atomic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InconsistentPushError
from .grouping import GroupingKey, grouping_key
from .model import (
    PUSH_FAILURE_TIME,
    PUSH_TIME,
    TYPE_NAMES,
    Family,
    Pairs,
    family_from_json,
    family_to_json,
    header,
    proto_text,
    sanitize,
    timestamp_gauge,
)

Record = dict[str, Any]
PREFIX = "pushed metrics are invalid or inconsistent with existing metrics: "


@dataclass
class Group:
    labels: dict[str, str]
    families: dict[str, Family] = field(default_factory=dict)
    #: Unix seconds of the last write (success or failure), for --push.group-ttl.
    last_write: float = 0.0

    def time_of(self, name: str) -> float:
        fam = self.families.get(name)
        return fam.metrics[0].value if fam is not None and fam.metrics else 0.0


class Index:
    """Family types and series owners across all groups (not the own registry)."""

    def __init__(self) -> None:
        self.types: dict[str, Counter[str]] = {}
        self.owners: dict[tuple[str, Pairs], list[GroupingKey]] = {}

    def add(self, key: GroupingKey, fam: Family) -> None:
        self.types.setdefault(fam.name, Counter())[fam.type] += 1
        for labels in fam.identities():
            self.owners.setdefault((fam.name, labels), []).append(key)

    def remove(self, key: GroupingKey, fam: Family) -> None:
        counts = self.types[fam.name]
        counts[fam.type] -= 1
        if counts[fam.type] <= 0:
            del counts[fam.type]
        if not counts:
            del self.types[fam.name]
        for labels in fam.identities():
            owners = self.owners[(fam.name, labels)]
            owners.remove(key)
            if not owners:
                del self.owners[(fam.name, labels)]

    def names(self) -> Iterable[str]:
        return self.types.keys()


def check_family(
    index: Index,
    key: GroupingKey,
    fam: Family,
    replaced: Family | None,
    own_types: Mapping[str, str],
    other_names: set[str],
    seen: set[tuple[str, Pairs]],
) -> str | None:
    """Why adding ``fam`` to group ``key`` (replacing ``replaced``) would make
    gathering fail, or None. ``other_names`` are the family names present
    after the write (``fam``'s own may be among them: only names differing
    from it by a suffix are looked up); ``seen`` collects this push's series."""
    name = fam.name
    own = own_types.get(name)
    if own is not None and own != fam.type:
        return (
            f"gathered metric family {name} has type {TYPE_NAMES[fam.type]} "
            f"but should have {TYPE_NAMES[own]}"
        )
    for other_type, n in index.types.get(name, {}).items():
        if replaced is not None and other_type == replaced.type:
            n -= 1  # the family this write replaces does not count
        if n > 0 and other_type != fam.type and fam.metrics:
            shown = proto_text(fam, fam.metrics[0])
            return f'collected metric "{name}" {{ {shown}}} is not a {TYPE_NAMES[other_type]}'
    collision = _suffix_collision(name, fam.type, other_names, index, own_types)
    if collision:
        return collision
    for m in fam.metrics:
        for label, _ in m.labels:
            if label.startswith("__"):
                return (
                    f'collected metric "{name}" {{ {proto_text(fam, m)}}} has a label '
                    f"with an invalid name: {label}"
                )
        identity = (name, m.labels)
        owners = index.owners.get(identity, ())
        if identity in seen or any(o != key for o in owners):
            return (
                f'collected metric "{name}" {{ {proto_text(fam, m)}}} was collected before '
                "with the same name and label values"
            )
        seen.add(identity)
    return None


def _type_of(name: str, index: Index, own_types: Mapping[str, str]) -> str | None:
    if name in own_types:
        return own_types[name]
    counts = index.types.get(name)
    return next(iter(counts)) if counts else None


def _suffix_collision(
    name: str, type_: str, names: set[str], index: Index, own_types: Mapping[str, str]
) -> str | None:
    for suffix in ("_count", "_sum", "_bucket"):
        base = name.removesuffix(suffix)
        if base != name and base in names:
            base_type = _type_of(base, index, own_types)
            if base_type == "summary" and suffix != "_bucket":
                return (
                    f'collected metric named "{name}" collides with previously collected '
                    f'summary named "{base}"'
                )
            if base_type == "histogram":
                return (
                    f'collected metric named "{name}" collides with previously collected '
                    f'histogram named "{base}"'
                )
    if type_ in ("summary", "histogram"):
        suffixes = ("_count", "_sum", "_bucket") if type_ == "histogram" else ("_count", "_sum")
        for suffix in suffixes:
            if name + suffix in names:
                what = "histogram" if suffix == "_bucket" else "histogram or summary"
                return (
                    f'collected {what} named "{name}" collides with previously collected '
                    f'metric named "{name + suffix}"'
                )
    return None


class Store:
    """Groups by grouping key. ``own_types`` are the pushgateway's own families
    (name -> type) that pushes must agree with; ``clock`` returns Unix seconds."""

    def __init__(
        self,
        *,
        own_types: Mapping[str, str],
        clock: Callable[[], float],
        check: bool = True,
        journal: Callable[[Record], None] | None = None,
        own_help: Mapping[str, str] | None = None,
    ) -> None:
        self.groups: dict[GroupingKey, Group] = {}
        self.index = Index()
        self.own_types = dict(own_types)
        self._own_names = frozenset(self.own_types)
        self.own_help = dict(own_help or {})
        self.clock = clock
        self.check = check
        self.journal = journal
        #: Bumped on every change; scrapes cache their rendering per version.
        self.version = 0
        self._rendered: tuple[int, str] | None = None

    # --- writes ------------------------------------------------------------------

    def push(self, grouping: dict[str, str], families: dict[str, Family], *, replace: bool) -> None:
        """PUT (``replace``) or POST; raises ``InconsistentPushError`` after
        recording the failure time, as upstream."""
        now = self.clock()
        if any(m.has_timestamp for f in families.values() for m in f.metrics):
            self._record({"op": "fail", "g": grouping, "t": now})
            raise InconsistentPushError(PREFIX + "pushed metrics must not have timestamps")
        clean = {
            name: sanitize(f, grouping, now)
            for name, f in families.items()
            if name not in (PUSH_TIME, PUSH_FAILURE_TIME)
        }
        if self.check:
            problem = self._check(grouping_key(grouping), clean, replace)
            if problem is not None:
                self._record({"op": "fail", "g": grouping, "t": now})
                raise InconsistentPushError(PREFIX + problem)
        record = {
            "op": "push",
            "g": grouping,
            "r": replace,
            "t": now,
            "f": [family_to_json(f) for f in clean.values()],
        }
        self._record(record, clean)

    def delete(self, grouping: dict[str, str]) -> None:
        self._record({"op": "delete", "g": grouping})

    def wipe(self) -> None:
        self._record({"op": "wipe"})

    def expire(self, ttl: float) -> int:
        """Delete groups not written for ``ttl`` seconds; returns how many."""
        cutoff = self.clock() - ttl
        stale = [g.labels for g in self.groups.values() if g.last_write < cutoff]
        for labels in stale:
            self.delete(labels)
        return len(stale)

    def _check(self, key: GroupingKey, clean: dict[str, Family], replace: bool) -> str | None:
        group = self.groups.get(key)
        old = group.families if group is not None else {}
        names = set(self._own_names).union(self.index.names(), clean)
        if replace:  # families of this group that the PUT removes do not count
            for name in old:
                counts = self.index.types.get(name)
                if name not in clean and counts is not None and counts.total() == 1:
                    names.discard(name)
        seen: set[tuple[str, Pairs]] = set()
        for fam in clean.values():
            problem = check_family(
                self.index, key, fam, old.get(fam.name), self.own_types, names, seen
            )
            if problem is not None:
                return problem
        return None

    def _record(self, record: Record, families: dict[str, Family] | None = None) -> None:
        self._apply(record, families)
        if self.journal is not None:
            self.journal(record)

    def apply(self, record: Record) -> None:
        """Replay a journal record (no checks: it was accepted when written)."""
        if record["op"] == "restore":
            self.restore(record)
        else:
            self._apply(record, None)

    def _apply(self, record: Record, families: dict[str, Family] | None) -> None:
        self.version += 1
        op = record["op"]
        if op == "wipe":
            self.groups.clear()
            self.index = Index()
            return
        grouping: dict[str, str] = record["g"]
        key = grouping_key(grouping)
        if op == "delete":
            group = self.groups.pop(key, None)
            for fam in group.families.values() if group else ():
                self.index.remove(key, fam)
            return
        now: float = record["t"]
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(dict(grouping))
        group.last_write = now
        if op == "fail":
            self._put(key, group, timestamp_gauge(PUSH_FAILURE_TIME, grouping, now, now))
            if PUSH_TIME not in group.families:
                self._put(key, group, timestamp_gauge(PUSH_TIME, grouping, 0.0, now))
            return
        if families is None:
            families = {f["n"]: family_from_json(f) for f in record["f"]}
        if record["r"]:
            for name in list(group.families):
                if name not in (PUSH_TIME, PUSH_FAILURE_TIME):
                    self.index.remove(key, group.families.pop(name))
        for fam in families.values():
            self._put(key, group, fam)
        self._put(key, group, timestamp_gauge(PUSH_TIME, grouping, now, now))
        if PUSH_FAILURE_TIME not in group.families:
            self._put(key, group, timestamp_gauge(PUSH_FAILURE_TIME, grouping, 0.0, now))

    def _put(self, key: GroupingKey, group: Group, fam: Family) -> None:
        old = group.families.get(fam.name)
        if old is not None:
            self.index.remove(key, old)
        group.families[fam.name] = fam
        self.index.add(key, fam)

    # --- reads -------------------------------------------------------------------

    def inconsistency(self) -> str | None:
        """Why gathering everything would fail now, or None (full check: used
        to fail scrapes when pushes were not checked)."""
        fresh = Index()
        names = set(self.index.names()) | set(self.own_types)
        seen: set[tuple[str, Pairs]] = set()
        for key, group in self.groups.items():
            for fam in group.families.values():
                problem = check_family(fresh, key, fam, None, self.own_types, names, seen)
                if problem is not None:
                    return problem
                fresh.add(key, fam)
        return None

    def render(self, skip_headers: set[str] | None = None) -> str:
        """All pushed families merged by name, text format (cached per version).

        Families named in ``skip_headers`` (the own registry's, already
        rendered with their HELP/TYPE) get their samples only.
        """
        skip = skip_headers or set()
        if self._rendered is not None and self._rendered[0] == self.version:
            return self._rendered[1]
        merged: dict[str, list[Family]] = {}
        for group in self.groups.values():
            for name, fam in group.families.items():
                merged.setdefault(name, []).append(fam)
        out = []
        for name in sorted(merged):
            fams = merged[name]
            if name not in skip:
                help_text = self.own_help.get(name, fams[0].help)
                out.append(header(name, fams[0].type, help_text))
            out.extend(f.text() for f in fams)
        text = "".join(out)
        self._rendered = (self.version, text)
        return text

    def snapshot(self) -> list[Record]:
        """The state as records that rebuild it (for compaction)."""
        return [
            {
                "op": "restore",
                "g": group.labels,
                "w": group.last_write,
                "f": [family_to_json(f) for f in group.families.values()],
            }
            for group in self.groups.values()
        ]

    def restore(self, record: Record) -> None:
        key = grouping_key(record["g"])
        group = self.groups[key] = Group(dict(record["g"]), last_write=record["w"])
        for data in record["f"]:
            self._put(key, group, family_from_json(data))
        self.version += 1
