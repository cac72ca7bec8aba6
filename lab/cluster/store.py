"""The simulated cluster's object store: objects by resource type, namespace
and name; one resourceVersion counter for everything; a bounded event history
per resource type that watches replay from.

A watch or a continue token older than the history kept is answered with
``Gone`` (410 Expired), exactly the situation in which a real reflector must
relist. The store is thread-safe (one lock): the REST layer runs on an asyncio
loop while scenarios drive incidents from other threads; watchers are plain
callbacks invoked under the lock, so they must only enqueue.

Stored objects are never mutated in place (every write stores a new dict), so
``list`` can hand out references cheaply; treat them as read-only.
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import AlreadyExists, BadRequest, Conflict, Gone, Invalid, NotFound
from .resources import BY_PLURAL, ResourceType

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)
Filter = Callable[[Obj], bool]
Deliver = Callable[[str, Obj], None]

DEFAULT_HISTORY = 10_000
_NAME_CHARS = string.ascii_lowercase + string.digits


def rfc3339(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass(frozen=True, slots=True)
class Event:
    type: str  # ADDED, MODIFIED, DELETED
    obj: Obj
    old: Obj | None
    rv: int


@dataclass(slots=True)
class _Watcher:
    namespace: str | None
    matches: Filter | None
    deliver: Deliver

    def offer(self, event: Event) -> None:
        """Translate a store event into what this watcher sees (selectors can turn
        a MODIFIED into an ADDED or DELETED, as upstream)."""
        ns = event.obj.get("metadata", {}).get("namespace", "")
        if self.namespace is not None and ns != self.namespace:
            return
        if self.matches is None:
            self.deliver(event.type, event.obj)
            return
        new = self.matches(event.obj)
        if event.type == "ADDED":
            if new:
                self.deliver("ADDED", event.obj)
        elif event.type == "DELETED":
            if new:
                self.deliver("DELETED", event.obj)
        else:
            old = event.old is not None and self.matches(event.old)
            if old and new:
                self.deliver("MODIFIED", event.obj)
            elif new:
                self.deliver("ADDED", event.obj)
            elif old:
                self.deliver("DELETED", event.obj)


@dataclass(slots=True)
class _Bucket:
    rt: ResourceType
    history_size: int
    objects: dict[Key, Obj] = field(default_factory=dict)
    sorted_keys: list[Key] | None = None
    history: deque[Event] = field(default_factory=deque)
    compacted: int = 0  # events with rv <= compacted may be gone
    watchers: list[_Watcher] = field(default_factory=list)

    def ordered_keys(self) -> list[Key]:
        if self.sorted_keys is None:
            self.sorted_keys = sorted(self.objects)
        return self.sorted_keys

    def record(self, event: Event) -> None:
        if len(self.history) >= self.history_size:
            self.compacted = self.history.popleft().rv
        self.history.append(event)
        for w in list(self.watchers):
            w.offer(event)


@dataclass(frozen=True, slots=True)
class ListResult:
    items: list[Obj]
    resource_version: int
    continue_token: str
    remaining: int | None


class Store:
    """Objects, resourceVersions and watch history of the simulated cluster."""

    def __init__(
        self, *, history: int = DEFAULT_HISTORY, clock: Callable[[], float] = time.time
    ) -> None:
        if history < 1:
            raise ValueError("history must be >= 1")
        self._lock = threading.RLock()
        self._clock = clock
        self._rv = 1
        self._buckets = {p: _Bucket(rt, history) for p, rt in BY_PLURAL.items()}
        #: owner uid -> dependents, for background cascading deletion
        self._dependents: dict[str, set[tuple[str, Key]]] = {}

    # -- reading -----------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    def _bucket(self, plural: str) -> _Bucket:
        try:
            return self._buckets[plural]
        except KeyError:
            raise NotFound(f'the server could not find the requested resource "{plural}"') from None

    def _key(self, rt: ResourceType, namespace: str | None, name: str) -> Key:
        return (namespace or "", name) if rt.namespaced else ("", name)

    def get(self, plural: str, namespace: str | None, name: str) -> Obj:
        """A deep copy of one object (NotFound otherwise)."""
        with self._lock:
            b = self._bucket(plural)
            obj = b.objects.get(self._key(b.rt, namespace, name))
            if obj is None:
                raise NotFound(f'{plural} "{name}" not found', kind=plural, name=name)
            return copy.deepcopy(obj)

    def count(self, plural: str) -> int:
        with self._lock:
            return len(self._bucket(plural).objects)

    def items(self, plural: str, namespace: str | None = None) -> list[Obj]:
        """Every object of a type (references: read-only), in key order."""
        with self._lock:
            b = self._bucket(plural)
            return [
                b.objects[k] for k in b.ordered_keys() if namespace is None or k[0] == namespace
            ]

    def list(
        self,
        plural: str,
        namespace: str | None = None,
        *,
        matches: Filter | None = None,
        limit: int = 0,
        continue_token: str = "",
    ) -> ListResult:
        """One page of a list (``limit`` 0 = all) in (namespace, name) order."""
        with self._lock:
            b = self._bucket(plural)
            keys = b.ordered_keys()
            list_rv = self._rv
            start = 0
            if continue_token:
                list_rv, after = _decode_continue(continue_token)
                if list_rv < b.compacted:
                    raise Gone(
                        "The provided continue parameter is too old to display a consistent "
                        "list result. You can start a new list without the continue "
                        "parameter, or use the continue token in this response to retrieve "
                        "the remainder of the results."
                    )
                start = bisect.bisect_right(keys, after)
            items: list[Obj] = []
            i = start
            while i < len(keys):
                key = keys[i]
                i += 1
                if namespace is not None and key[0] != namespace:
                    continue
                obj = b.objects[key]
                if matches is not None and not matches(obj):
                    continue
                items.append(obj)
                if limit and len(items) >= limit:
                    break
            token, remaining = "", None
            if limit and len(items) >= limit and i < len(keys):
                rest = keys[i:]
                if namespace is not None:
                    rest = [k for k in rest if k[0] == namespace]
                if rest:
                    token = _encode_continue(list_rv, keys[i - 1])
                    if matches is None:
                        remaining = len(rest)
            return ListResult(items, list_rv, token, remaining)

    # -- watching ----------------------------------------------------------------

    def watch(
        self,
        plural: str,
        namespace: str | None,
        since: int | None,
        deliver: Deliver,
        *,
        matches: Filter | None = None,
    ) -> Callable[[], None]:
        """Register a watcher; returns the function that cancels it.

        ``since`` None (or 0) first delivers every current object as ADDED, as
        the API server does for a watch without a resourceVersion; otherwise
        the history after ``since`` is replayed, or Gone if it is compacted.
        Replay and registration happen under the lock, so nothing is missed.
        """
        with self._lock:
            b = self._bucket(plural)
            w = _Watcher(namespace, matches, deliver)
            if not since:
                for key in b.ordered_keys():
                    obj = b.objects[key]
                    w.offer(Event("ADDED", obj, None, 0))
            else:
                if since < b.compacted:
                    raise Gone(f"too old resource version: {since} ({b.compacted + 1})")
                for ev in b.history:
                    if ev.rv > since:
                        w.offer(ev)
            b.watchers.append(w)

        def cancel() -> None:
            with self._lock:
                if w in b.watchers:
                    b.watchers.remove(w)

        return cancel

    # -- writing -----------------------------------------------------------------

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def create(self, plural: str, namespace: str | None, obj: Obj) -> Obj:
        """Store a new object: uid, resourceVersion, creationTimestamp (unless
        given: the lab seeds fixed timestamps), generation, kind/apiVersion."""
        with self._lock:
            b = self._bucket(plural)
            rt = b.rt
            obj = copy.deepcopy(obj)
            _check_type(rt, obj)
            meta = obj.setdefault("metadata", {})
            if not isinstance(meta, dict):
                raise BadRequest("metadata must be an object")
            name = meta.get("name") or ""
            if not name and meta.get("generateName"):
                name = meta["generateName"] + "".join(secrets.choice(_NAME_CHARS) for _ in range(5))
            if not name:
                raise Invalid(
                    f"{rt.kind}.{rt.group or 'core'} is invalid: metadata.name: Required value: "
                    "name or generateName is required",
                    kind=plural,
                )
            _validate_name(rt, name)
            if rt.namespaced:
                ns = namespace or meta.get("namespace") or "default"
                if meta.get("namespace") and meta["namespace"] != ns:
                    raise BadRequest(
                        "the namespace of the provided object does not match the namespace "
                        "sent on the request"
                    )
                if ("", ns) not in self._buckets["namespaces"].objects:
                    raise NotFound(f'namespaces "{ns}" not found', kind="namespaces", name=ns)
                meta["namespace"] = ns
            else:
                meta.pop("namespace", None)
            key = self._key(rt, meta.get("namespace"), name)
            if key in b.objects:
                raise AlreadyExists(f'{plural} "{name}" already exists', kind=plural, name=name)
            rv = self._next_rv()
            meta["name"] = name
            meta["uid"] = meta.get("uid") or str(uuid.uuid4())
            meta["resourceVersion"] = str(rv)
            meta.setdefault("creationTimestamp", rfc3339(self._clock()))
            if rt.generation:
                meta["generation"] = 1
            obj["kind"], obj["apiVersion"] = rt.kind, rt.api_version
            if plural == "namespaces":
                obj.setdefault("spec", {"finalizers": ["kubernetes"]})
                obj.setdefault("status", {"phase": "Active"})
            b.objects[key] = obj
            b.sorted_keys = None
            self._index_owners(plural, key, None, obj)
            b.record(Event("ADDED", obj, None, rv))
            return copy.deepcopy(obj)

    def update(
        self,
        plural: str,
        namespace: str | None,
        name: str,
        obj: Obj,
        *,
        subresource: str = "",
        keep_status: bool = False,
    ) -> Obj:
        """Replace an object (PUT). A non-empty ``metadata.resourceVersion`` must
        be current (Conflict otherwise). ``subresource="status"`` takes only the
        status; ``keep_status`` keeps the stored status (the API's main
        resource ignores status, as upstream); spec changes bump generation."""
        with self._lock:
            b = self._bucket(plural)
            rt = b.rt
            key = self._key(rt, namespace, name)
            current = b.objects.get(key)
            if current is None:
                raise NotFound(f'{plural} "{name}" not found', kind=plural, name=name)
            obj = copy.deepcopy(obj)
            _check_type(rt, obj)
            meta = obj.get("metadata")
            if not isinstance(meta, dict):
                meta = obj["metadata"] = {}
            if meta.get("name", name) != name:
                raise BadRequest(
                    f"the name of the object ({meta['name']}) does not match the name on "
                    f"the URL ({name})"
                )
            cur_meta = current["metadata"]
            sent_rv = str(meta.get("resourceVersion") or "")
            if sent_rv and sent_rv != cur_meta["resourceVersion"]:
                raise Conflict(
                    f'Operation cannot be fulfilled on {plural} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                    kind=plural,
                    name=name,
                )
            if subresource == "status":
                new = dict(current)
                new["status"] = obj.get("status", {})
                new["metadata"] = dict(cur_meta)
            else:
                new = obj
                if keep_status:
                    if "status" in current:
                        new["status"] = current["status"]
                    else:
                        new.pop("status", None)
                for immutable in ("uid", "creationTimestamp", "namespace"):
                    if immutable in cur_meta:
                        meta[immutable] = cur_meta[immutable]
                    else:
                        meta.pop(immutable, None)
                meta["name"] = name
                if rt.generation:
                    gen = int(cur_meta.get("generation", 1))
                    meta["generation"] = gen + 1 if new.get("spec") != current.get("spec") else gen
            new["kind"], new["apiVersion"] = rt.kind, rt.api_version
            rv = self._next_rv()
            new["metadata"]["resourceVersion"] = str(rv)
            b.objects[key] = new
            self._index_owners(plural, key, current, new)
            b.record(Event("MODIFIED", new, current, rv))
            return copy.deepcopy(new)

    def patch(
        self,
        plural: str,
        namespace: str | None,
        name: str,
        change: Callable[[Obj], Obj],
        *,
        subresource: str = "",
        keep_status: bool = False,
    ) -> Obj:
        """``update`` with ``change(current copy)`` computed under the lock."""
        with self._lock:
            new = change(self.get(plural, namespace, name))
            return self.update(
                plural, namespace, name, new, subresource=subresource, keep_status=keep_status
            )

    def mutate(
        self, plural: str, namespace: str | None, name: str, change: Callable[[Obj], None]
    ) -> Obj:
        """Read-modify-write under the lock (spec and status both), for the
        Python control API: ``change`` edits a private copy in place."""
        with self._lock:
            obj = self.get(plural, namespace, name)
            change(obj)
            obj["metadata"]["resourceVersion"] = ""
            return self.update(plural, namespace, name, obj)

    def delete(self, plural: str, namespace: str | None, name: str) -> Obj:
        """Remove an object (and, in the background as the GC would, its
        dependents by ownerReference; a namespace takes its contents along)."""
        with self._lock:
            b = self._bucket(plural)
            key = self._key(b.rt, namespace, name)
            current = b.objects.get(key)
            if current is None:
                raise NotFound(f'{plural} "{name}" not found', kind=plural, name=name)
            del b.objects[key]
            b.sorted_keys = None
            self._index_owners(plural, key, current, None)
            rv = self._next_rv()
            gone = dict(current)
            gone["metadata"] = dict(current["metadata"], resourceVersion=str(rv))
            b.record(Event("DELETED", gone, current, rv))
            for dep_plural, dep_key in sorted(self._dependents.pop(current["metadata"]["uid"], ())):
                if dep_key in self._buckets[dep_plural].objects:
                    self.delete(dep_plural, dep_key[0] or None, dep_key[1])
            if plural == "namespaces":
                for other in self._buckets.values():
                    if other.rt.namespaced:
                        for k in [k for k in other.objects if k[0] == name]:
                            self.delete(other.rt.plural, name, k[1])
            return gone

    def _index_owners(self, plural: str, key: Key, old: Obj | None, new: Obj | None) -> None:
        for obj, add in ((old, False), (new, True)):
            if obj is None:
                continue
            for ref in obj["metadata"].get("ownerReferences") or ():
                uid = ref.get("uid", "") if isinstance(ref, dict) else ""
                if not uid:
                    continue
                deps = self._dependents.setdefault(uid, set())
                if add:
                    deps.add((plural, key))
                else:
                    deps.discard((plural, key))
                    if not deps:
                        del self._dependents[uid]

    def at_current_rv(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(rv)`` under the lock: a watch BOOKMARK enqueued this way
        is ordered after every event with a smaller resourceVersion."""
        with self._lock:
            callback(self._rv)

    def history_bounds(self, plural: str) -> tuple[int, int]:
        """(compacted, current): watches from rv >= compacted can resume."""
        with self._lock:
            return self._bucket(plural).compacted, self._rv

    def compact(self, plural: str | None = None) -> None:
        """Forget the watch history (tests: force 410s for every older rv)."""
        with self._lock:
            for b in self._buckets.values() if plural is None else [self._bucket(plural)]:
                b.history.clear()
                b.compacted = self._rv

    def plurals(self) -> Iterator[str]:
        return iter(self._buckets)


def _check_type(rt: ResourceType, obj: Obj) -> None:
    if not isinstance(obj, dict):
        raise BadRequest("the body must be a JSON object")
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if (kind and kind != rt.kind) or (api_version and api_version != rt.api_version):
        raise BadRequest(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({rt.api_version})"
            if api_version != rt.api_version
            else f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
        )


def _validate_name(rt: ResourceType, name: str) -> None:
    ok = (
        len(name) <= 253
        and name[0].isalnum()
        and name[-1].isalnum()
        and all(c in _NAME_CHARS or c in "-." for c in name)
    )
    if not ok:
        raise Invalid(
            f'{rt.kind} "{name}" is invalid: metadata.name: Invalid value: "{name}": a '
            "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character",
            kind=rt.plural,
            name=name,
        )


def _encode_continue(rv: int, after: Key) -> str:
    raw = json.dumps({"rv": rv, "ns": after[0], "name": after[1]}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[int, Key]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["ns"]), str(data["name"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(f"continue key is not valid: {exc}") from None
