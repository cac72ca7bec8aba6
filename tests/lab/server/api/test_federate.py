"""/federate: newest sample per series within the lookback, text format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


@pytest.mark.reference
def test_federate_matches_prometheus(tmp_path: Path) -> None:
    """Same recent data in both (promtool blocks for Prometheus), same external
    labels: /federate answers byte for byte the same text."""
    import subprocess
    import time
    import urllib.request

    from tests.reference import require_binary, run_reference

    promtool = require_binary("promtool")
    now_s = int(time.time())
    series = [
        ("a_metric", Labels.of(instance="i:1", job="j"), 2.0),
        ("a_metric", Labels.of(job="k"), 1e6),
        ("b_metric", Labels.of(x='q"z\\'), 0.5),
        ("c_metric", Labels.of(region="here"), 3.0),
    ]
    storage = MemoryStorage()
    lines = []
    for i, (name, labels, value) in enumerate(series):
        ts = [now_s - 300 + k * 15 + i for k in range(10)]
        storage.add_series(labels.set("__name__", name), [t * 1000 for t in ts], [value] * 10)
        text = ",".join(f'{n}="{_om_escape(v)}"' for n, v in labels)
        lines += [f"{name}{{{text}}} {value!r} {t}\n" for t in ts]
    workdir = tmp_path / "prometheus"
    workdir.mkdir()
    (workdir / "d.om").write_text("".join(lines) + "# EOF\n")
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "d.om", "data"],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (workdir / "p.yml").write_text("global:\n  external_labels:\n    region: eu\n    job: x\n")
    deps = ApiDeps(
        queryable=storage,
        now_ms=lambda: int(time.time() * 1000),
        external_labels=lambda: Labels.of(region="eu", job="x"),
    )
    selector = "/federate?match[]=%7B__name__%3D~%22.%2B%22%7D"
    with (
        run_reference(
            "prometheus",
            [
                "--config.file={dir}/p.yml",
                "--storage.tsdb.path={dir}/data",
                "--storage.tsdb.retention.time=100y",
                "--web.listen-address=127.0.0.1:{port}",
            ],
            workdir,
            "/-/ready",
        ) as prom,
        serve(lambda: build_app(deps)) as ours,
    ):
        with urllib.request.urlopen(prom.url + selector, timeout=30) as resp:
            theirs = resp.read().decode()
        mine = ours.get(selector).text
    assert theirs.count("\n") == 7  # 3 TYPE lines, 4 series
    assert mine == theirs


def _om_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
