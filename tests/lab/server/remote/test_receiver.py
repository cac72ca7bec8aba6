"""The remote-write receiver and the remote-read endpoint over loopback HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.remote import codec
from lab.server.remote.read_client import RemoteReadQueryable
from lab.server.remote.read_server import read_handler
from lab.server.remote.receiver import write_handler
from lab.server.storage.interface import Appendable, Queryable
from lab.server.storage.memory import MemoryStorage
from lab.server.tsdb import DB
from tests.loopback import serve

UP = Labels.of(__name__="up", job="a")


def post(url: str, body: bytes) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def app_for(storage: Appendable, queryable: Queryable) -> web.Application:
    app = web.Application()
    app.router.add_post("/api/v1/write", write_handler(storage))
    app.router.add_post("/api/v1/read", read_handler(queryable))
    return app


@pytest.fixture
def memory() -> Iterator[tuple[MemoryStorage, str]]:
    storage = MemoryStorage()
    with serve(app_for(storage, storage)) as url:
        yield storage, url


@pytest.fixture
def tsdb(tmp_path: Path) -> Iterator[tuple[DB, str]]:
    db = DB.open(tmp_path / "db")
    try:
        with serve(app_for(db, db)) as url:
            yield db, url
    finally:
        db.close()


def _all(q: Queryable) -> dict[Labels, list[tuple[int, float]]]:
    querier = q.querier(-(2**62), 2**62)
    out = {s.labels: list(zip(s.timestamps.tolist(), s.values.tolist(), strict=True))
           for s in querier.select([Matcher(MatchType.REGEX, "__name__", ".+")])}  # fmt: skip
    querier.close()
    return out


def test_good_request_is_appended(memory: tuple[MemoryStorage, str]) -> None:
    storage, url = memory
    body = codec.encode_write_request([codec.SeriesData.of(UP, [(1000, 1.0), (2000, 0.0)])])
    assert post(url + "/api/v1/write", body) == (204, "")
    assert _all(storage) == {UP: [(1000, 1.0), (2000, 0.0)]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (codec.compress(b"\x0a\xff\x01garbage"), "cannot parse WriteRequest"),
        (b"\x10not snappy at all", "snappy"),
        (b"", "snappy"),
    ],
)
def test_bad_input_is_400_and_appends_nothing(
    memory: tuple[MemoryStorage, str], body: bytes, message: str
) -> None:
    storage, url = memory
    status, text = post(url + "/api/v1/write", body)
    assert status == 400 and message in text
    assert _all(storage) == {}


def test_out_of_order_is_400_and_the_whole_request_is_refused(tsdb: tuple[DB, str]) -> None:
    db, url = tsdb
    first = codec.encode_write_request([codec.SeriesData.of(UP, [(5000, 1.0)])])
    assert post(url + "/api/v1/write", first)[0] == 204
    other = Labels.of(__name__="other")
    bad = codec.encode_write_request([
        codec.SeriesData.of(other, [(1000, 7.0)]),  # fine on its own
        codec.SeriesData.of(UP, [(4000, 2.0)]),  # older than 5000
    ])  # fmt: skip
    status, text = post(url + "/api/v1/write", bad)
    assert status == 400 and "out of order sample" in text and 'up{job="a"}' in text
    assert _all(db) == {UP: [(5000, 1.0)]}


def test_remote_read_client_against_our_server(memory: tuple[MemoryStorage, str]) -> None:
    storage, url = memory
    storage.add_series(UP, [1000, 2000, 3000], [1.0, 2.0, 3.0])
    storage.add_series(Labels.of(__name__="up", job="b"), [1000], [5.0])
    q = RemoteReadQueryable(url + "/api/v1/read")
    querier = q.querier(1500, 3000)
    got = querier.select([Matcher(MatchType.EQUAL, "__name__", "up")])
    assert [s.labels for s in got] == [UP]
    assert got[0].timestamps.tolist() == [2000, 3000]
    assert querier.label_values("job") == ["a"]
    assert q.querier(0, 5000).label_names() == ["__name__", "job"]
    q.close()
