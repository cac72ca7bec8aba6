"""The admin API (``--web.enable-admin-api``) answers as the real Prometheus 2.42
does, and deleting, cleaning and snapshotting act on promlab's TSDB."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.model.labels import Labels
from lab.server.app import PromlabServer, ServerOptions
from lab.server.tsdb import DB
from tests.lab.server.api.serving import Client
from tests.lab.server.inprocess import Running, running_server

ADMIN = "/api/v1/admin/tsdb/"
SNAPSHOT_NAME = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{16}$")


@pytest.fixture
def ours(tmp_path: Path) -> Iterator[Running]:
    config = tmp_path / "ours.yml"
    config.write_text("global: {scrape_interval: 15s}\n")
    options = ServerOptions(
        config_file=str(config),
        storage_path=str(tmp_path / "data"),
        listen_addresses=("127.0.0.1:0",),
        enable_admin_api=True,
    )
    with running_server(PromlabServer(options)) as running:
        yield running


CASES: list[tuple[str, str, dict[str, str], bool]] = [
    # (method, endpoint, form, compare the error text too)
    ("POST", "delete_series", {}, True),
    ("POST", "delete_series", {"match[]": "up", "start": "abc"}, True),
    ("POST", "delete_series", {"match[]": "up", "end": "abc"}, True),
    ("POST", "delete_series", {"match[]": "{"}, False),
    ("POST", "delete_series", {"match[]": "up"}, True),
    ("PUT", "delete_series", {"match[]": "up", "start": "0", "end": "1000"}, True),
    ("POST", "clean_tombstones", {}, True),
    ("PUT", "clean_tombstones", {}, True),
    ("POST", "snapshot", {"skip_head": "x"}, True),
    ("GET", "snapshot", {}, False),
]


def _call(client: Client, method: str, endpoint: str, form: dict[str, str]) -> tuple[int, str]:
    if method == "GET":
        reply = client.get(ADMIN + endpoint, form)
    else:
        reply = client.request(ADMIN + endpoint, method=method, form=form)
    return reply.status, reply.text


def test_answers_like_prometheus(ours: Running, request: pytest.FixtureRequest) -> None:
    prom = request.getfixturevalue("prometheus")
    ref = Client(prom.url)
    for method, endpoint, form, same_text in CASES:
        a = _call(ours.client, method, endpoint, form)
        b = _call(ref, method, endpoint, form)
        assert a[0] == b[0], (method, endpoint, form, a, b)
        if same_text:
            assert a[1] == b[1], (method, endpoint, form)
    for client in (ours.client, ref):
        for form in ({}, {"skip_head": "true"}):
            reply = client.post(ADMIN + "snapshot", form)
            assert reply.status == 200
            body = reply.json()
            assert set(body) == {"status", "data"} and set(body["data"]) == {"name"}
            assert SNAPSHOT_NAME.match(body["data"]["name"])


def _values(client: Client, query: str, t: float) -> list[str]:
    data = client.get("/api/v1/query", {"query": query, "time": str(t)}).json()["data"]
    return sorted(r["metric"].get("s", "") for r in data["result"])


def test_delete_snapshot_and_clean(ours: Running, tmp_path: Path) -> None:
    db = ours.server.storage
    assert isinstance(db, DB)
    now_ms = int(time.time() * 1000)
    app = db.appender()
    for k in range(20):
        for s in ("a", "b"):
            app.append(Labels.of(__name__="m", s=s), now_ms - (20 - k) * 15_000, float(k))
    app.commit()
    client = ours.client
    t = now_ms / 1000
    assert _values(client, "m", t) == ["a", "b"]
    reply = client.post(ADMIN + "delete_series", {"match[]": 'm{s="a"}'})
    assert (reply.status, reply.body) == (204, b"")
    assert _values(client, "m", t) == ["b"]
    assert client.post(ADMIN + "clean_tombstones").status == 204
    name = client.post(ADMIN + "snapshot").json()["data"]["name"]
    snap = DB.open(tmp_path / "data" / "snapshots" / name, read_only=True)
    with snap.querier(0, now_ms) as q:
        assert [s.labels.get("s") for s in q.select([])] == ["b"]
    snap.close()
    name = client.post(ADMIN + "snapshot", {"skip_head": "1"}).json()["data"]["name"]
    assert list((tmp_path / "data" / "snapshots" / name).iterdir()) == []
