"""What our exporters produce, found by running them (not from a hand list).

* node exporter: every default collector over the fixture tree the node
  exporter's golden tests use (``tests/exporters/node/fixtures``: /proc, /sys,
  rootfs, udev), with statfs and adjtimex answered by fixed values, since
  those are syscalls on the checking machine. Without the fixture tree (an
  installed package), the host's own /proc and /sys are read instead.
* kube-state: every default resource's families rendered by the exporter's
  own ``Renderer`` over the simulated cluster (``lab.cluster``), seeded and
  then put through the incidents ``control.py`` drives (crash loop, OOM kill,
  image pull backoff, NotReady node, failed job ...), so that status-dependent
  families (last terminated reason, waiting reason ...) show up.
* pushgateway: a push through its ``Store`` (which adds ``push_time_seconds``
  and ``push_failure_time_seconds`` per group) plus its own registry.

Each exporter's self metrics (``process_*``, ``python_*``, build info) count.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client.metrics_core import Metric

#: the node exporter's fixture tree, relative to the repository root
NODE_FIXTURES = Path("tests/exporters/node/fixtures")


def metric_names(families: Iterable[Metric]) -> set[str]:
    """Sample names of prometheus_client families, plus the names their type
    implies even when the family has no samples here (a histogram's
    ``_bucket``/``_sum``/``_count`` ...): what a scrape of it may carry."""
    out: set[str] = set()
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
        "summary": ("", "_sum", "_count"),
        "info": ("_info",),
    }
    for fam in families:
        out.update(s.name for s in fam.samples if not s.name.endswith("_created"))
        if fam.type in suffixes:
            out.update(fam.name + suffix for suffix in suffixes[fam.type])
        elif not fam.samples:
            out.add(fam.name)
    return out


def text_names(text: str) -> set[str]:
    """Metric names of the sample lines of a text exposition."""
    out: set[str] = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            out.add(line.split("{", 1)[0].split(" ", 1)[0])
    return out


def node_exporter_names(repo: Path) -> set[str]:
    from exporters.node.collectors import DEFAULTS
    from exporters.node.exporter import NodeExporter, self_registry
    from exporters.node.options import NodeOptions
    from exporters.node.source import HostSource, Paths, StatFs, Timex

    fixtures = repo / NODE_FIXTURES

    class FixtureHost(HostSource):
        # statfs and adjtimex are syscalls on *this* machine, not reads of the
        # tree: fixed answers keep the result independent of where it runs.
        def statfs(self, mountpoint: str, may_hang: bool = True) -> StatFs:
            return StatFs(4096, 1000, 500, 400, 100, 50)

        def adjtimex(self) -> Timex:
            return Timex(5, 0, 0, 16_000_000, 16_000_000, 0x2000, 2, 10000, 0, 0, 0, 0,
                         0, 0, 0, 0, 37)

    with tempfile.TemporaryDirectory() as textfiles:
        # An empty textfile directory: the fixture's .prom files are test data
        # (any name at all), not metrics the exporter produces.
        if fixtures.is_dir():
            paths = Paths(procfs=str(fixtures / "proc"), sysfs=str(fixtures / "sys"),
                          rootfs=str(fixtures / "root"), udev_data=str(fixtures / "udev"))
            source: HostSource = FixtureHost(paths)
            options = NodeOptions(paths=paths, textfile_directory=textfiles,
                                  netdev_netlink=False)
        else:
            source = HostSource()
            options = NodeOptions(textfile_directory=textfiles)
        exporter = NodeExporter(source, options, list(DEFAULTS))
        names = metric_names(exporter.collect())
    return names | metric_names(self_registry().collect())


def _incidents(sim: object) -> None:
    """Drive the simulated cluster through the incidents ``control.py`` knows,
    so that families only present in a bad state are rendered too."""
    from lab.cluster.control import Cluster

    assert isinstance(sim, Cluster)
    # Pods of workloads (the seed's layout may change: take whichever exist).
    pods = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in sim.store.items("pods")
            if p["metadata"].get("ownerReferences")]
    incidents: tuple[Callable[[str, str], object], ...] = (
        sim.crash_loop,
        sim.oom_kill,
        sim.image_pull_backoff,
        lambda ns, name: sim.set_pod_phase(ns, name, "Failed", "Evicted"),
    )
    for incident, (ns, name) in zip(incidents, pods, strict=False):
        incident(ns, name)
    nodes = [n["metadata"]["name"] for n in sim.store.items("nodes")]
    sim.set_node_ready(nodes[-1], False)
    sim.set_node_condition(nodes[-1], "MemoryPressure", True, "KubeletHasInsufficientMemory")
    sim.cordon(nodes[-1])
    for job in sim.store.items("jobs")[:1]:
        sim.fail_job(job["metadata"]["namespace"], job["metadata"]["name"])


def kube_state_names() -> set[str]:
    from exporters.kube_state.config import Config
    from exporters.kube_state.families import RESOURCES, Options
    from exporters.kube_state.filters import allowlist_for
    from exporters.kube_state.store import Renderer
    from exporters.kube_state.telemetry import Telemetry
    from lab.cluster.control import Cluster
    from lab.cluster.seed import populate
    from lab.cluster.store import Store

    sim = Cluster(Store())
    populate(sim, nodes=3, pods=30)
    _incidents(sim)
    config = Config.from_flags()  # the exporter's defaults: resources, opt-ins
    lines: list[str] = []
    for name in config.resources:
        rdef = RESOURCES[name]
        opts = Options(labels=allowlist_for(config.labels_allowlist, name),
                       annotations=allowlist_for(config.annotations_allowlist, name))
        families = [f for f in rdef.families(opts)
                    if config.metric_filter.keep(f.name, opt_in=f.opt_in)]
        renderer = Renderer(families, rdef.identity)
        for obj in sim.store.items(name):
            blob, _ = renderer.render(obj)
            lines.append(blob.decode())
    telemetry = Telemetry()
    return text_names("".join(lines)) | metric_names(telemetry.collect())


def pushgateway_names() -> set[str]:
    from exporters.pushgateway.collector import (
        UPSTREAM_OWN_TYPES,
        SelfMetrics,
        own_registry,
        own_text,
    )
    from exporters.pushgateway.store import Store

    store = Store(own_types=UPSTREAM_OWN_TYPES, clock=lambda: 1_700_000_000.0)
    # A push of nothing still makes a group: its push_time_seconds and
    # push_failure_time_seconds are what the gateway adds to what it is sent.
    store.push({"job": "promlab-check"}, {}, replace=True)
    registry = own_registry(SelfMetrics(version="promlab-check"))
    _, own = own_text(registry)
    return text_names(store.render()) | metric_names(registry.collect()) | own
