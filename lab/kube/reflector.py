"""Reflectors: list + watch one resource (in one namespace, or all) with the
kubernetes Python client, feeding a ``Sink`` (the kube-state exporter's
``MetricsStore``, kubernetes_sd's event queue).

One thread per reflector (the client is synchronous). The loop is client-go's:
an initial paged LIST whose resourceVersion starts a WATCH; the watch is
renewed from the last resourceVersion seen (BOOKMARKs included) when it times
out; a ``410 Gone`` (an ERROR event or an expired continue token) means the
history we need is compacted, so we relist at once; any other failure relists
after an exponential backoff with jitter. Responses are read with
``_preload_content=False`` and parsed as plain JSON: the client's model
objects would cost more than the rendering itself. A ``StreamingSink`` (the
kube-state exporter's store) gets a relist's objects one page at a time, each
dropped once handed over: 10,000 parsed pods held at once are ~100 MB, which
the allocator keeps long after they are freed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .errors import Expired, KubeApiError

Obj = dict[str, Any]

log = logging.getLogger(__name__)

PAGE_SIZE = 500
#: client-go picks a random watch timeout in [min, 2*min) so watches do not renew together
WATCH_TIMEOUT_MIN = 300
BACKOFF_INITIAL = 0.8
BACKOFF_MAX = 30.0


class Resource(Protocol):
    """What a reflector needs to know about a resource type (the kube-state
    exporter's ``ResourceDef`` is one; ``ResourceType`` below is the plain one)."""

    @property
    def resource(self) -> str: ...  # plural, for log messages
    @property
    def go_type(self) -> str: ...  # e.g. "*v1.Pod", for the counters
    @property
    def api_class(self) -> str: ...  # kubernetes.client class, e.g. "CoreV1Api"
    @property
    def list_all(self) -> str: ...  # cluster-scoped list, or list across all namespaces
    @property
    def list_namespaced(self) -> str | None: ...  # list in one namespace (None: cluster-scoped)


@dataclass(frozen=True, slots=True)
class ResourceType:
    resource: str
    go_type: str
    api_class: str
    list_all: str
    list_namespaced: str | None


class Sink(Protocol):
    def add(self, obj: Obj) -> None: ...
    def update(self, obj: Obj) -> None: ...
    def delete(self, obj: Obj) -> None: ...
    def replace(self, objs: list[Obj]) -> None: ...


@runtime_checkable
class StreamingSink(Sink, Protocol):
    """A sink that takes a relist as it is read, page by page; it must consume all of
    ``objs`` and apply none of it when iterating raises (a failed relist)."""

    def replace_stream(self, objs: Iterable[Obj]) -> None: ...


class Counters(Protocol):
    def list_result(self, go_type: str, ok: bool) -> None: ...
    def watch_result(self, go_type: str, ok: bool) -> None: ...


class ListWatch:
    """How to list and watch one resource with the kubernetes client."""

    def __init__(
        self,
        api_client: Any,
        rdef: Resource,
        namespace: str | None = None,
        *,
        field_selector: str = "",
        label_selector: str = "",
        page_size: int = PAGE_SIZE,
        request_timeout: float = 30.0,
    ) -> None:
        import kubernetes.client  # deferred: importing the client is slow

        api = getattr(kubernetes.client, rdef.api_class)(api_client)
        if namespace is None:
            self._call = getattr(api, rdef.list_all)
            self._args: tuple[str, ...] = ()
        else:
            if rdef.list_namespaced is None:
                raise ValueError(f"{rdef.resource} is cluster-scoped")
            self._call = getattr(api, rdef.list_namespaced)
            self._args = (namespace,)
        self.rdef = rdef
        self.namespace = namespace
        self.field_selector = field_selector
        self.label_selector = label_selector
        self.page_size = page_size
        self.request_timeout = request_timeout

    def _kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"_preload_content": False}
        if self.field_selector:
            kw["field_selector"] = self.field_selector
        if self.label_selector:
            kw["label_selector"] = self.label_selector
        return kw

    def list_page(self, continue_token: str) -> dict[str, Any]:
        kw = self._kwargs()
        kw["limit"] = self.page_size
        kw["_request_timeout"] = (5.0, self.request_timeout)
        if continue_token:
            kw["_continue"] = continue_token
        resp = self._call(*self._args, **kw)
        try:
            data = json.loads(resp.data)
        finally:
            resp.release_conn()
        if not isinstance(data, dict):
            raise KubeApiError(f"list {self.rdef.resource}: the response is not an object")
        return data

    def watch(self, resource_version: str, timeout: int) -> Any:
        kw = self._kwargs()
        kw.update(
            watch=True,
            resource_version=resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout,
            _request_timeout=(5.0, timeout + 30.0),
        )
        return self._call(*self._args, **kw)


def _lines(resp: Any) -> Iterator[bytes]:
    """The newline-delimited JSON events of a chunked watch response."""
    buf = b""
    for chunk in resp.stream(65536, decode_content=True):
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                yield line
    if buf.strip():
        yield buf


class Reflector:
    """Keeps a sink in sync with one ListWatch until ``stop()``."""

    def __init__(
        self,
        lw: ListWatch,
        sink: Sink,
        *,
        keep: Callable[[str], bool] = lambda uid: True,
        counters: Counters | None = None,
        watch_timeout_min: int = WATCH_TIMEOUT_MIN,
        backoff_initial: float = BACKOFF_INITIAL,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        self.lw = lw
        self.sink = sink
        self.keep = keep
        self.counters = counters
        self.watch_timeout_min = watch_timeout_min
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.synced = threading.Event()
        self._stop = threading.Event()
        self._resp: Any = None
        self._thread: threading.Thread | None = None
        self.relists = 0

    @property
    def name(self) -> str:
        ns = self.lw.namespace
        return f"{self.lw.rdef.resource}" + (f"@{ns}" if ns else "")

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"reflector-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        resp = self._resp
        if resp is not None:
            # Unblocks a read waiting on the watch socket; best effort on a socket being torn down.
            with contextlib.suppress(Exception):
                resp.shutdown()
        if self._thread is not None:
            self._thread.join(timeout)

    def _count(self, what: str, ok: bool) -> None:
        if self.counters is not None:
            go_type = self.lw.rdef.go_type
            if what == "list":
                self.counters.list_result(go_type, ok)
            else:
                self.counters.watch_result(go_type, ok)

    def run(self) -> None:
        delay = self.backoff_initial
        while not self._stop.is_set():
            try:
                rv = self._list()
                delay = self.backoff_initial
                while not self._stop.is_set():
                    rv = self._watch(rv)
            except Expired as exc:
                log.info("%s: %s; relisting", self.name, exc)
                self.relists += 1
                continue
            except Exception as exc:  # any failure: back off, relist
                if self._stop.is_set():
                    break
                log.warning(
                    "%s: %s: %s; retrying in %.1fs", self.name, type(exc).__name__, exc, delay
                )
                self.relists += 1
                self._stop.wait(delay * (1 + random.random() * 0.5))
                delay = min(delay * 2, self.backoff_max)

    def _list(self) -> str:
        rv: list[str] = []  # set by _objects once it has read the first page
        if isinstance(self.sink, StreamingSink):
            self.sink.replace_stream(self._objects(rv))
        else:
            self.sink.replace(list(self._objects(rv)))
        self._count("list", True)
        self.synced.set()
        return rv[0] if rv else ""

    def _objects(self, rv: list[str]) -> Iterator[Obj]:
        """Every object of a paged LIST that ``keep`` accepts, in order; appends the
        list's resourceVersion to ``rv``."""
        token = ""
        while True:
            try:
                page = self.lw.list_page(token)
            except Exception as exc:
                self._count("list", False)
                if getattr(exc, "status", None) == 410:  # kubernetes ApiException
                    raise Expired("continue token expired") from exc
                raise
            if page.get("kind") == "Status":
                self._count("list", False)
                if page.get("code") == 410:
                    raise Expired(str(page.get("message", "continue token expired")))
                raise KubeApiError(f"list {self.name}: {page.get('message', page)}")
            meta = page.get("metadata") or {}
            if not (rv and rv[0]):
                rv[:] = [str(meta.get("resourceVersion", ""))]
            token = str(meta.get("continue") or "")
            items = page.get("items") or []
            del page  # only the items are left to hand over
            # Handed over from the front and dropped one by one, so a streaming sink
            # holds one parsed object at a time, not the page.
            items.reverse()
            while items:
                obj = items.pop()
                if self.keep(str((obj.get("metadata") or {}).get("uid", ""))):
                    yield obj
                del obj
            if not token:
                return

    def _watch(self, rv: str) -> str:
        timeout = self.watch_timeout_min + random.randrange(self.watch_timeout_min)
        try:
            resp = self.lw.watch(rv, timeout)
        except Exception:
            self._count("watch", False)
            raise
        self._count("watch", True)
        self._resp = resp
        try:
            for line in _lines(resp):
                if self._stop.is_set():
                    break
                rv = self._handle(json.loads(line), rv)
        finally:
            self._resp = None
            resp.release_conn()
        return rv

    def _handle(self, event: dict[str, Any], rv: str) -> str:
        etype = event.get("type")
        obj = event.get("object") or {}
        if etype == "ERROR":
            if obj.get("code") == 410:
                raise Expired(str(obj.get("message", "resource version too old")))
            raise KubeApiError(f"watch {self.name}: {obj.get('message', obj)}")
        meta = obj.get("metadata") or {}
        new_rv = str(meta.get("resourceVersion") or rv)
        if etype == "BOOKMARK":
            return new_rv
        if not self.keep(str(meta.get("uid", ""))):
            return new_rv
        if etype == "ADDED":
            self.sink.add(obj)
        elif etype == "MODIFIED":
            self.sink.update(obj)
        elif etype == "DELETED":
            self.sink.delete(obj)
        return new_rv
