"""The Kubernetes REST API of the simulated cluster (aiohttp).

Serves discovery (``/version``, ``/api``, ``/api/v1``, ``/apis``,
``/apis/<group>[/<version>]``), and for every type in ``resources.py``:
list (``limit``/``continue``, ``labelSelector``, ``fieldSelector``), watch
(``?watch=1``: a chunked stream of JSON events, ``allowWatchBookmarks``,
``timeoutSeconds``, an ERROR event with a 410 Status for a compacted
resourceVersion), get, create (POST), update (PUT), patch (merge,
strategic-as-merge, JSON patch), delete and deletecollection, on
cluster-scoped, namespaced and all-namespaces paths, plus the ``status``
subresource. Errors are ``Status`` objects with upstream codes and reasons.
Plain HTTP, no authentication: meant for loopback.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .errors import BadRequest, ClusterError, Gone, MethodNotAllowed, NotFound
from .patch import apply_patch
from .resources import ALL_VERBS, ResourceType, group_versions, lookup
from .selectors import field_matcher, label_matcher
from .store import Obj, Store

MAX_WATCH_SECONDS = 1800
VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4-promlab",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_Queue = asyncio.Queue[tuple[str, Obj] | None]
STORE_KEY: web.AppKey[Store] = web.AppKey("store")
OPTIONS_KEY: web.AppKey[dict[str, float]] = web.AppKey("watch_options")
STREAMS_KEY: web.AppKey[set[_Queue]] = web.AppKey("streams")


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=_dumps(obj), status=status, content_type="application/json")


def _error(err: ClusterError) -> web.Response:
    return _json(err.status(), err.code)


def make_app(store: Store, *, bookmark_interval: float = 60.0) -> web.Application:
    """The aiohttp application serving ``store`` (BOOKMARKs every ``bookmark_interval`` s
    on watches that allow them)."""
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[STORE_KEY] = store
    app[OPTIONS_KEY] = {"bookmark_interval": bookmark_interval}
    app[STREAMS_KEY] = set()
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    app.on_shutdown.append(_close_streams)
    return app


async def _close_streams(app: web.Application) -> None:
    # Long-running watches would hold a graceful shutdown for their whole timeout.
    streams = app[STREAMS_KEY]
    for queue in tuple(streams):
        queue.put_nowait(None)


async def _dispatch(request: web.Request) -> web.StreamResponse:
    try:
        return await _route(request)
    except ClusterError as err:
        return _error(err)


def _discovery(request: web.Request, parts: list[str]) -> web.Response | None:
    versions = group_versions()
    if parts in (["version"], ["version", ""]):
        return _json(VERSION_INFO)
    if parts in (["healthz"], ["livez"], ["readyz"]):
        return web.Response(text="ok")
    if parts == ["api"]:
        return _json(
            {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}
                ],
            }
        )
    if parts == ["apis"]:
        return _json(
            {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [_group(gv) for gv in versions if "/" in gv],
            }
        )
    if len(parts) == 2 and parts[0] == "apis":
        for gv in versions:
            if gv.split("/")[0] == parts[1] and "/" in gv:
                return _json({"kind": "APIGroup", "apiVersion": "v1", **_group(gv)})
        raise NotFound("the server could not find the requested resource")
    if parts == ["api", "v1"] or (len(parts) == 3 and parts[0] == "apis"):
        gv = "v1" if parts[0] == "api" else f"{parts[1]}/{parts[2]}"
        if gv not in versions:
            raise NotFound("the server could not find the requested resource")
        resources: list[dict[str, Any]] = []
        for rt in versions[gv]:
            resources.append(
                {
                    "name": rt.plural,
                    "singularName": rt.singular,
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": list(ALL_VERBS),
                    "shortNames": list(rt.short_names),
                    **({"categories": list(rt.categories)} if rt.categories else {}),
                    "storageVersionHash": "",
                }
            )
            for sub in rt.subresources:
                resources.append(
                    {
                        "name": f"{rt.plural}/{sub}",
                        "singularName": "",
                        "namespaced": rt.namespaced,
                        "kind": rt.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
        return _json(
            {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": gv,
                "resources": resources,
            }
        )
    return None


def _group(gv: str) -> dict[str, Any]:
    name, version = gv.split("/")
    entry = {"groupVersion": gv, "version": version}
    return {"name": name, "versions": [entry], "preferredVersion": entry}


async def _route(request: web.Request) -> web.StreamResponse:
    parts = [p for p in request.path.split("/") if p]
    found = _discovery(request, parts)
    if found is not None:
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(
                f"the server does not allow this method on the requested "
                f"resource ({request.method} {request.path})"
            )
        return found
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise NotFound("the server could not find the requested resource")
    watch_path = bool(rest) and rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces" and lookup(group, version, rest[2]):
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise NotFound("the server could not find the requested resource")
    rt = lookup(group, version, rest[0])
    if rt is None:
        raise NotFound(f"the server could not find the requested resource ({rest[0]})")
    if namespace is not None and not rt.namespaced:
        raise NotFound("the server could not find the requested resource")
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and sub not in rt.subresources:
        raise NotFound(f"the server could not find the requested resource ({rt.plural}/{sub})")
    if name and rt.namespaced and namespace is None:
        raise NotFound("the server could not find the requested resource")
    store = request.app[STORE_KEY]
    q = request.query
    method = request.method
    if not name:
        if method == "GET":
            if watch_path or q.get("watch") in ("1", "true", "True"):
                return await _watch(request, store, rt, namespace)
            return _list(store, rt, namespace, q)
        if method == "POST":
            body = await _body(request)
            if rt.namespaced and namespace is None:
                raise MethodNotAllowed("create is only served on a namespaced path")
            return _json(store.create(rt.plural, namespace, body), 201)
        if method == "DELETE":
            matches = _matcher(rt, q)
            for obj in store.list(rt.plural, namespace, matches=matches).items:
                m = obj["metadata"]
                store.delete(rt.plural, m.get("namespace"), m["name"])
            return _json(
                {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
            )
    else:
        if method == "GET":
            return _json(store.get(rt.plural, namespace, name))
        if method == "PUT":
            body = await _body(request)
            return _json(
                store.update(rt.plural, namespace, name, body, subresource=sub, keep_status=not sub)
            )
        if method == "PATCH":
            body = await _body(request)
            content_type = request.headers.get("Content-Type", "")
            sent_rv = (
                (body.get("metadata") or {}).get("resourceVersion")
                if isinstance(body, dict)
                else None
            )

            def change(current: Obj) -> Obj:
                patched = apply_patch(content_type, current, body)
                # A patch is a read-modify-write on the server: it only conflicts when
                # the patch itself names a resourceVersion.
                patched.setdefault("metadata", {})["resourceVersion"] = sent_rv or ""
                return patched

            return _json(
                store.patch(
                    rt.plural, namespace, name, change, subresource=sub, keep_status=not sub
                )
            )
        if method == "DELETE" and not sub:
            return _json(store.delete(rt.plural, namespace, name))
    raise MethodNotAllowed(
        f"the server does not allow this method on the requested resource ({method} {request.path})"
    )


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None


def _int_param(q: Any, key: str, default: int) -> int:
    text = q.get(key, "")
    if text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"invalid value for {key}: {text!r} is not an integer") from None
    if value < 0:
        raise BadRequest(f"invalid value for {key}: {text!r} must not be negative")
    return value


def _matcher(rt: ResourceType, q: Any) -> Callable[[Obj], bool] | None:
    labels = label_matcher(q.get("labelSelector", ""))
    fields = field_matcher(rt.plural, q.get("fieldSelector", ""))
    if labels is None or fields is None:
        return labels or fields
    return lambda obj: labels(obj) and fields(obj)


def _list(store: Store, rt: ResourceType, namespace: str | None, q: Any) -> web.Response:
    limit = _int_param(q, "limit", 0)
    result = store.list(
        rt.plural,
        namespace,
        matches=_matcher(rt, q),
        limit=limit,
        continue_token=q.get("continue", ""),
    )
    meta: dict[str, Any] = {"resourceVersion": str(result.resource_version)}
    if result.continue_token:
        meta["continue"] = result.continue_token
        if result.remaining is not None:
            meta["remainingItemCount"] = result.remaining
    head = _dumps({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta})
    # Items are serialised one by one and spliced in: no second copy of a big list.
    body = head[:-1] + b',"items":[' + b",".join(_dumps(i) for i in result.items) + b"]}"
    return web.Response(body=body, content_type="application/json")


async def _watch(
    request: web.Request, store: Store, rt: ResourceType, namespace: str | None
) -> web.StreamResponse:
    q = request.query
    rv_text = q.get("resourceVersion", "")
    try:
        since = int(rv_text) if rv_text else 0
    except ValueError:
        raise BadRequest(f"invalid resource version: {rv_text!r}") from None
    timeout = min(_int_param(q, "timeoutSeconds", MAX_WATCH_SECONDS), MAX_WATCH_SECONDS)
    bookmarks = q.get("allowWatchBookmarks") in ("1", "true", "True")
    interval = float(request.app[OPTIONS_KEY]["bookmark_interval"])
    matches = _matcher(rt, q)
    loop = asyncio.get_running_loop()
    queue: _Queue = asyncio.Queue()

    def deliver(kind: str, obj: Obj) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (kind, obj))

    def bookmark(rv: int) -> None:
        marker = {
            "kind": rt.kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(rv)},
        }
        loop.call_soon_threadsafe(queue.put_nowait, ("BOOKMARK", marker))

    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    try:
        cancel = store.watch(rt.plural, namespace, since, deliver, matches=matches)
    except Gone as err:
        # Upstream answers 200 and sends one ERROR event carrying the 410 Status.
        await resp.prepare(request)
        await resp.write(_dumps({"type": "ERROR", "object": err.status()}) + b"\n")
        await resp.write_eof()
        return resp
    streams = request.app[STREAMS_KEY]
    streams.add(queue)
    try:
        await resp.prepare(request)
        deadline = loop.time() + timeout
        next_bookmark = loop.time() + interval if bookmarks else math.inf
        while True:
            now = loop.time()
            if now >= deadline:
                break
            if now >= next_bookmark:
                store.at_current_rv(bookmark)
                next_bookmark = now + interval
            try:
                item = await asyncio.wait_for(queue.get(), min(deadline, next_bookmark) - now)
            except TimeoutError:
                continue
            if item is None:
                break
            await resp.write(_dumps({"type": item[0], "object": item[1]}) + b"\n")
        await resp.write_eof()
    except ConnectionResetError:
        pass  # the client went away; the finally clause unregisters the watcher
    finally:
        cancel()
        streams.discard(queue)
    return resp
