"""Differential tests against the real node_exporter 1.5.0 on this machine.

* On the fixture tree (both pointed at it with ``--path.*``): every family
  both expose has the same type, HELP and label names, the same series, and
  the same values except where they depend on the moment (clock, timex,
  free space, scrape durations).
* On the live host: same type/HELP/labels for every shared family, and the
  values that do not move (MemTotal, CPU count, filesystem sizes, boot time,
  uname, os-release) agree.
* Coverage: every node-mixin metric the reference exposes here, we expose.
* ``collect[]`` errors: same status and body for the same request.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from exporters.common.exposition import SampleBatch, parse_text, render
from exporters.node.collectors import DEFAULTS
from exporters.node.exporter import NodeExporter
from exporters.node.options import NodeOptions
from exporters.node.serve import node_routes
from exporters.node.source import HostSource
from tests.exporters.node.helpers import (
    FIXTURE_FLAGS,
    fixture_options,
    fixture_source,
    get,
    serving,
)
from tests.reference import ReferenceProcess, run_reference

pytestmark = pytest.mark.reference

SELF_PREFIXES = ("go_", "process_", "promhttp_", "python_")
#: families whose values depend on when they are read
MOVING = {
    "node_scrape_collector_duration_seconds",
    "node_time_seconds",
    "node_filesystem_avail_bytes",
    "node_filesystem_free_bytes",
    "node_filesystem_files_free",
    "node_exporter_build_info",
}
MIXIN = (
    Path(__file__).resolve().parents[3].parent / "shared/conformance/mixin-metrics/node-mixin.json"
)

Family = dict[str, Any]


def families(batch: SampleBatch) -> dict[str, Family]:
    out: dict[str, Family] = {}
    for i, name in enumerate(batch.names):
        meta = batch.family_of(i)
        if meta.name.startswith(SELF_PREFIXES):
            continue
        fam = out.setdefault(
            meta.name, {"type": meta.type, "help": meta.help, "labels": set(), "series": {}}
        )
        pairs = tuple(sorted((k, v) for k, v in batch.labels[i] if k != "__name__"))
        fam["labels"].add(tuple(k for k, _ in pairs))
        fam["series"][(name, pairs)] = float(batch.values[i])
    return out


def ours(source: HostSource, options: NodeOptions) -> dict[str, Family]:
    node = NodeExporter(source, options, list(DEFAULTS))
    return families(parse_text(render(node.collect())))


def upstream(proc: ReferenceProcess) -> dict[str, Family]:
    return families(parse_text(proc.get("/metrics")))


def compare_shape(theirs: dict[str, Family], mine: dict[str, Family]) -> list[str]:
    problems = []
    for name in sorted(set(theirs) & set(mine)):
        for key in ("type", "help", "labels"):
            if theirs[name][key] != mine[name][key]:
                problems.append(f"{name} {key}: {theirs[name][key]!r} != {mine[name][key]!r}")
    return problems


@pytest.fixture
def fixture_reference(tmp_path: Path) -> Any:
    with run_reference(
        "node_exporter",
        ["--web.listen-address=127.0.0.1:{port}", *FIXTURE_FLAGS],
        tmp_path / "node",
        "/metrics",
    ) as proc:
        yield proc


def test_fixture_tree_all_values_agree(fixture_reference: ReferenceProcess) -> None:
    mine = ours(fixture_source(), fixture_options())
    theirs = upstream(fixture_reference)
    assert compare_shape(theirs, mine) == []
    assert sorted(set(theirs) ^ set(mine)) == []
    problems = []
    for name in sorted(theirs):
        if name.startswith("node_timex_") or name == "node_exporter_build_info":
            continue  # adjtimex: maxerror grows between the reads; build_info: our build
        t, m = theirs[name]["series"], mine[name]["series"]
        if set(t) != set(m):
            problems.append(f"{name}: series {sorted(set(t) ^ set(m))}")
        elif name not in MOVING and t != m:
            problems.append(f"{name}: {[(k, t[k], m[k]) for k in t if t[k] != m[k]]}")
    assert problems == []


def test_live_host_shapes_and_stable_values(node_exporter: ReferenceProcess) -> None:
    mine = ours(HostSource(), NodeOptions())
    theirs = upstream(node_exporter)
    assert compare_shape(theirs, mine) == []
    shared = set(theirs) & set(mine)
    assert len(shared) > 150

    def series(fams: dict[str, Family], name: str) -> dict[Any, float]:
        return fams[name]["series"]  # type: ignore[no-any-return]

    for name in ("node_memory_MemTotal_bytes", "node_boot_time_seconds", "node_filefd_maximum",
                 "node_entropy_pool_size_bits", "node_uname_info", "node_os_info",
                 "node_filesystem_size_bytes", "node_filesystem_files",
                 "node_filesystem_readonly", "node_nf_conntrack_entries_limit"):  # fmt: skip
        if name in shared:
            assert series(theirs, name) == series(mine, name), name

    def idle_cpus(fams: dict[str, Family]) -> int:
        return sum(
            1
            for (_, labels) in series(fams, "node_cpu_seconds_total")
            if ("mode", "idle") in labels
        )

    assert idle_cpus(theirs) == idle_cpus(mine) > 0
    # the same devices, whatever their counters did meanwhile
    for name in ("node_disk_io_time_seconds_total", "node_network_receive_bytes_total"):
        assert set(series(theirs, name)) == set(series(mine, name)), name


def test_mixin_coverage(node_exporter: ReferenceProcess) -> None:
    if not MIXIN.exists():
        pytest.skip(f"{MIXIN} not found (../shared/conformance is not checked out)")
    wanted = {name for name in json.loads(MIXIN.read_text()) if ":" not in name}
    exposed_upstream = wanted & set(parse_text(node_exporter.get("/metrics")).names)
    node = NodeExporter(HostSource(), NodeOptions(), list(DEFAULTS))
    mine = set(parse_text(render(node.collect())).names)
    assert exposed_upstream, "the reference exposes none of the mixin's metrics?"
    assert sorted(exposed_upstream - mine) == []


def _ours_get(path: str) -> tuple[int, str]:
    node = NodeExporter(HostSource(), NodeOptions(), list(DEFAULTS))
    with serving(node_routes(node)) as url:
        status, _, body = get(url + path)
    return status, body.decode()


@pytest.mark.parametrize("query", ["collect[]=bogus", "collect[]=cpu&collect[]=nope"])
def test_collect_filter_errors_match(node_exporter: ReferenceProcess, query: str) -> None:
    try:
        node_exporter.get(f"/metrics?{query}")
        raise AssertionError("the reference accepted an unknown collector")
    except urllib.error.HTTPError as err:
        theirs = (err.code, err.read().decode())
    assert _ours_get(f"/metrics?{query}") == theirs


def test_collect_filter_selects_the_same_families(node_exporter: ReferenceProcess) -> None:
    with urllib.request.urlopen(node_exporter.url + "/metrics?collect[]=meminfo", timeout=10) as r:
        theirs = families(parse_text(r.read()))
    status, text = _ours_get("/metrics?collect[]=meminfo")
    assert status == 200
    mine = families(parse_text(text))
    assert set(theirs) == set(mine)
