"""/federate: newest sample per series within the lookback, text format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab.model.labels import Labels
from lab.model.value import STALE_NAN
from lab.server.api.deps import ApiDeps
from lab.server.api.routes import build_app
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.api.serving import Client, serve

NOW = 1_700_000_600_000


@pytest.fixture
def fed() -> Iterator[Client]:
    st = MemoryStorage()
    st.add_series(
        Labels.of(__name__="a", job="j", instance="i:1"), [NOW - 20_000, NOW - 5_000], [1, 2]
    )
    st.add_series(Labels.of(__name__="a", job="k"), [NOW - 10_000], [1e6])
    st.add_series(Labels.of(__name__="b", x='q"\\\n'), [NOW - 1_000], [0.5])
    st.add_series(Labels.of(__name__="old"), [NOW - 400_000], [1])  # beyond the 5m lookback
    st.add_series(Labels.of(__name__="stale"), [NOW - 30_000, NOW - 15_000], [1, STALE_NAN])
    st.add_series(Labels.of(__name__="future"), [NOW + 15_000], [1])
    deps = ApiDeps(
        queryable=st, now_ms=lambda: NOW, external_labels=lambda: Labels.of(region="eu", job="x")
    )
    with serve(lambda: build_app(deps)) as client:
        yield client


def test_federate_text(fed: Client) -> None:
    reply = fed.get("/federate", [("match[]", '{__name__=~".+"}')])
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert reply.text == (
        "# TYPE a untyped\n"
        f'a{{instance="i:1",job="j",region="eu"}} 2 {NOW - 5_000}\n'
        f'a{{job="k",instance="",region="eu"}} 1e+06 {NOW - 10_000}\n'
        "# TYPE b untyped\n"
        f'b{{x="q\\"\\\\\\n",instance="",job="x",region="eu"}} 0.5 {NOW - 1_000}\n'
    )


def test_federate_union_of_matchers(fed: Client) -> None:
    reply = fed.get("/federate", [("match[]", "b"), ("match[]", "b"), ("match[]", "a{job='k'}")])
    assert [line.split("{")[0] for line in reply.text.splitlines()] == [
        "# TYPE a untyped",
        "a",
        "# TYPE b untyped",
        "b",
    ]


def test_federate_without_match_is_empty(fed: Client) -> None:
    reply = fed.get("/federate")
    assert (reply.status, reply.text) == (200, "")


def test_federate_bad_selector(fed: Client) -> None:
    reply = fed.get("/federate", {"match[]": "m{"})
    assert reply.status == 400
    assert reply.text == "1:3: parse error: unexpected end of input inside braces\n"
