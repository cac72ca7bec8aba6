"""The streamed /metrics body is byte-identical to the body joined at once, as the
exporter built it before it streamed (in chunks of any size, with any batch of
objects), and a relist streamed into the store page by page renders the same as
one read in a single page; a relist that fails half-way changes nothing."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import pytest

from exporters.kube_state import store as store_mod
from exporters.kube_state.app import KubeStateExporter
from exporters.kube_state.config import Config
from exporters.kube_state.families import RESOURCES
from exporters.kube_state.families.base import Options
from exporters.kube_state.store import MetricsStore, Renderer
from lab.kube.errors import KubeApiError
from lab.kube.reflector import ListWatch, Reflector

from .conftest import Factory


def _joined_at_once(ex: KubeStateExporter, *, openmetrics: bool = False) -> bytes:
    """The body as the exporter made it before streaming: per resource with objects,
    each family's HELP/TYPE then every object's lines of that family, one join."""
    out: list[bytes] = []
    for writer, rows in ex.scrape(openmetrics=openmetrics).parts:
        if not rows:
            continue
        headers = writer._om_headers if openmetrics else writer._headers
        for i, header in enumerate(headers):
            out.append(header)
            out.extend(blob[offs[i] : offs[i + 1]] for blob, offs in rows)
    if openmetrics:
        out.append(b"# EOF\n")
    return b"".join(out)


@pytest.mark.parametrize("openmetrics", [False, True])
def test_chunks_make_the_same_body_whatever_their_size(
    exporter: Factory, monkeypatch: pytest.MonkeyPatch, openmetrics: bool
) -> None:
    ex = exporter(metric_labels_allowlist="pods=[*]")
    want = _joined_at_once(ex, openmetrics=openmetrics)
    assert want.count(b"\n") > 500
    assert ex.render(openmetrics=openmetrics) == want
    for batch in (1, 7, store_mod.BATCH):
        monkeypatch.setattr(store_mod, "BATCH", batch)  # batch boundaries inside families
        for size in (1, 333, 1 << 20):
            scrape = ex.scrape(openmetrics=openmetrics)
            chunks = list(scrape.chunks(size))
            assert b"".join(chunks) == want
            assert scrape.content_length() == len(want)
            assert all(chunks) and all(len(c) >= size for c in chunks[:-1])
    only = ex.scrape(resources=["pods", "nodes"], exclude=["pods"], openmetrics=openmetrics)
    body = b"".join(only.chunks())
    assert b"kube_node_info{" in body and b"kube_pod_" not in body
    assert only.content_length() == len(body)


def test_a_relist_in_small_pages_renders_the_same(exporter: Factory) -> None:
    paged = exporter(dataclasses.replace(Config.from_flags(), page_size=7))  # 30 pods: 5 pages
    whole = exporter(Config.from_flags())
    assert paged.object_counts()["pods"] == 30
    assert paged.render() == whole.render()


class _FailingSecondPage:
    """A ListWatch whose second page fails (the connection drops mid-relist)."""

    def __init__(self, first: list[dict[str, Any]]) -> None:
        self.rdef = RESOURCES["pods"]
        self.namespace = None
        self.first = first

    def list_page(self, token: str) -> dict[str, Any]:
        if token:
            raise KubeApiError("connection reset")
        return {"metadata": {"resourceVersion": "9", "continue": "next"}, "items": self.first}


def _pod(name: str) -> dict[str, Any]:
    return {"metadata": {"namespace": "default", "name": name, "uid": f"uid-{name}"}}


def test_a_relist_that_fails_half_way_changes_nothing() -> None:
    rdef = RESOURCES["pods"]
    store = MetricsStore(Renderer(rdef.families(Options()), rdef.identity))
    store.replace([_pod("old")])
    before = store.snapshot()
    reflector = Reflector(cast(ListWatch, _FailingSecondPage([_pod("a"), _pod("b")])), store)
    with pytest.raises(KubeApiError):
        reflector._list()
    assert store.snapshot() == before and not reflector.synced.is_set()
