"""The store on its own: resourceVersions, history bounds, paging, patches."""

from __future__ import annotations

import pytest

from lab.cluster import objects as o
from lab.cluster.errors import BadRequest, Conflict, Gone, Invalid, NotFound
from lab.cluster.patch import json_patch, merge_patch
from lab.cluster.selectors import parse_label_selector
from lab.cluster.store import Store


def _store(history: int = 5) -> Store:
    s = Store(history=history)
    s.create("namespaces", None, o.namespace("default"))
    return s


def _pod(name: str) -> dict[str, object]:
    return o.pod("default", name, node="n", containers=[o.container("c", "busybox:1.37")])


def test_every_write_gets_a_higher_resource_version() -> None:
    s = _store()
    a = s.create("pods", "default", _pod("a"))
    b = s.update("pods", "default", "a", a)
    gone = s.delete("pods", "default", "a")
    rvs = [int(x["metadata"]["resourceVersion"]) for x in (a, b, gone)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3


def test_watch_replays_history_and_410s_beyond_it() -> None:
    s = _store(history=5)
    first = s.create("pods", "default", _pod("a"))
    rv0 = int(first["metadata"]["resourceVersion"])
    for i in range(3):
        s.mutate("pods", "default", "a", lambda p, i=i: p["metadata"].update(labels={"i": str(i)}))
    seen: list[str] = []
    cancel = s.watch("pods", None, rv0, lambda t, obj: seen.append(t))
    assert seen == ["MODIFIED"] * 3
    cancel()
    for i in range(10):
        s.mutate("pods", "default", "a", lambda p, i=i: p["metadata"].update(labels={"j": str(i)}))
    with pytest.raises(Gone) as err:
        s.watch("pods", None, rv0, lambda t, obj: None)
    assert err.value.code == 410 and err.value.status()["reason"] == "Expired"


def test_paging_is_stable_under_concurrent_deletes() -> None:
    s = _store(history=100)
    for i in range(10):
        s.create("pods", "default", _pod(f"p{i}"))
    page = s.list("pods", limit=4)
    s.delete("pods", "default", "p5")
    rest = s.list("pods", limit=100, continue_token=page.continue_token)
    names = [p["metadata"]["name"] for p in page.items + rest.items]
    assert names == ["p0", "p1", "p2", "p3", "p4", "p6", "p7", "p8", "p9"]
    assert rest.continue_token == ""
    with pytest.raises(BadRequest):
        s.list("pods", continue_token="not-a-token")


def test_errors_leave_the_store_unchanged() -> None:
    s = _store()
    a = s.create("pods", "default", _pod("a"))
    rv = s.resource_version
    stale = dict(a, metadata=dict(a["metadata"], resourceVersion="1"))
    with pytest.raises(Conflict):
        s.update("pods", "default", "a", stale)
    with pytest.raises(NotFound):
        s.update("pods", "default", "zzz", a)
    with pytest.raises(BadRequest):
        s.create("pods", "default", dict(_pod("b"), kind="Node"))
    with pytest.raises(Invalid):
        s.create("pods", "default", _pod("UPPER"))
    assert s.resource_version == rv and s.count("pods") == 1


def test_namespace_deletion_takes_its_objects() -> None:
    s = _store()
    s.create("pods", "default", _pod("a"))
    s.delete("namespaces", None, "default")
    assert s.count("pods") == 0


def test_generate_name() -> None:
    s = _store()
    pod = _pod("")
    pod["metadata"] = {"generateName": "web-"}
    created = s.create("pods", "default", pod)
    assert created["metadata"]["name"].startswith("web-") and len(created["metadata"]["name"]) == 9


def test_merge_and_json_patch() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {
        "a": {"c": 2, "d": 3}
    }
    doc = {"l": [1, 2], "m": {"k": "v"}}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/l/-", "value": 3},
            {"op": "move", "from": "/m/k", "path": "/k"},
            {"op": "test", "path": "/k", "value": "v"},
        ],
    )
    assert out == {"l": [1, 2, 3], "m": {}, "k": "v"} and doc["l"] == [1, 2]
    with pytest.raises(Invalid):
        json_patch(doc, [{"op": "test", "path": "/l/0", "value": 9}])


def test_label_selector_grammar() -> None:
    reqs = parse_label_selector("a=1,b!=2,c in (x, y),!d,e")
    assert [(r.key, r.op, r.values) for r in reqs] == [
        ("a", "=", ("1",)),
        ("b", "!=", ("2",)),
        ("c", "in", ("x", "y")),
        ("d", "!", ()),
        ("e", "exists", ()),
    ]
    with pytest.raises(BadRequest):
        parse_label_selector("a===b")
