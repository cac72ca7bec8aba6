"""Differential: a reference implementation's kubernetes_sd and ours, against the
same simulated cluster over HTTP, with the same scrape config (the classic
annotation relabeling, and one keep-everything job per role). Their
``/api/v1/targets`` must list the same active targets (discoveredLabels and
labels) and the same dropped targets.

References: the real Prometheus when its build has kubernetes_sd (Debian's
does not: its promtool rejects the config, and that variant is skipped with
that reason), and VictoriaMetrics, whose own kubernetes_sd produces the same
``__meta_kubernetes_*`` labels except where ``vm_differences`` says.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lab.cluster.server import ClusterServer
from tests.lab.server.scrape.discovery import kube_cluster as kc
from tests.lab.server.scrape.discovery.test_kubernetes_api import manager, until
from tests.lab.server.scrape.fixtures import run
from tests.reference import ReferenceProcess, free_port, require_binary, run_reference

ROLES = ("pod", "service", "endpoints", "node")
JOBS = ("annotated", *ROLES)

TargetKey = tuple[str, frozenset[tuple[str, str]], frozenset[tuple[str, str]]]
#: drops the labels one reference is known to differ on: (job, discovered) -> discovered
Normalize = Callable[[str, dict[str, str]], dict[str, str]]

M = "__meta_kubernetes_"


def vm_differences(job: str, discovered: dict[str, str]) -> dict[str, str]:
    """Where VictoriaMetrics 1.79 (Debian 12) differs from upstream Prometheus,
    which our mapping follows: it has no ``pod_container_id`` (upstream 2.41+),
    ``pod_container_image`` nor ``service_port_number``; on the endpoints role it
    adds the service's ``cluster_ip``/``type``, and leaves the endpoints' own
    labels off the extra targets for pod ports no endpoint lists (upstream's
    are group labels, so every target of the group has them)."""
    drop = {M + "pod_container_id", M + "pod_container_image", M + "service_port_number"}
    if job == "endpoints":
        drop |= {M + "service_cluster_ip", M + "service_type"}
        if M + "endpoint_port_name" not in discovered:
            drop |= {k for k in discovered if k.startswith(M + "endpoints_")}
    return {k: v for k, v in discovered.items() if k not in drop}


def no_differences(job: str, discovered: dict[str, str]) -> dict[str, str]:
    return discovered


def _key(
    job: str, discovered: dict[str, str], labels: dict[str, str], norm: Normalize
) -> TargetKey:
    return (job, frozenset(norm(job, discovered).items()), frozenset(labels.items()))


def reference_targets(
    proc: ReferenceProcess, norm: Normalize
) -> tuple[Counter[TargetKey], Counter[TargetKey]]:
    data = json.loads(proc.get("/api/v1/targets"))["data"]
    act: Counter[TargetKey] = Counter(
        _key(t["scrapePool"], t["discoveredLabels"], t["labels"], norm)
        for t in data["activeTargets"]
        if t["scrapePool"] in JOBS
    )
    dropped: Counter[TargetKey] = Counter(
        _key(t["discoveredLabels"].get("job", ""), t["discoveredLabels"], {}, norm)
        for t in data["droppedTargets"]
        if t["discoveredLabels"].get("job") in JOBS
    )
    return act, dropped


def our_targets(snap: Any, norm: Normalize) -> tuple[Counter[TargetKey], Counter[TargetKey]]:
    act: Counter[TargetKey] = Counter(
        _key(t.scrape_pool, dict(t.discovered_labels), dict(t.labels), norm) for t in snap.active
    )
    dropped: Counter[TargetKey] = Counter(
        _key(pool, dict(d), {}, norm)
        for pool, d in zip(snap.dropped_pools, snap.dropped, strict=True)
    )
    return act, dropped


def describe(ours: Counter[TargetKey], theirs: Counter[TargetKey]) -> str:
    lines = []
    for what, a, b in (("only ours", ours, theirs), ("only the reference's", theirs, ours)):
        for key in a - b:
            lines.append(f"{what}: job={key[0]} labels={dict(key[2])}")
            lines.append(f"    discovered={dict(sorted(key[1]))}")
    return "\n".join(lines)


def compare(tmp_path: Path, kind: str, start: Any, norm: Normalize) -> None:
    sim = kc.build()
    with ClusterServer(sim.store, bookmark_interval=1.0) as server:
        config = kc.scrape_config(server.url, free_port(), roles=ROLES)
        with start(config) as ref:

            async def body() -> None:
                async with manager(config) as m:

                    def same() -> bool:
                        # Both sides start empty: equal, but nothing discovered yet.
                        ours = our_targets(m.targets(), norm)
                        if {k[0] for k in ours[0]} != set(JOBS):
                            return False
                        return reference_targets(ref, norm) == ours

                    if not await until(same, bound=25.0):
                        ra, rd = reference_targets(ref, norm)
                        oa, od = our_targets(m.targets(), norm)
                        pytest.fail(
                            f"{kind} and promlab disagree\nactive:\n{describe(oa, ra)}"
                            f"\ndropped:\n{describe(od, rd)}"
                        )
                    # the comparison covers every job and both kinds of targets
                    oa, od = our_targets(m.targets(), norm)
                    assert {k[0] for k in oa} == set(JOBS)
                    assert {k[0] for k in od} == {"annotated"}
                    # and it holds after a change that every role sees
                    sim.scale_deployment("shop", "web", 3)
                    assert await until(
                        lambda: (
                            sum(1 for k in our_targets(m.targets(), norm)[0] if k[0] == "annotated")
                            == 3
                        )
                    )
                    # VictoriaMetrics joins an Endpoints event with the pod it names
                    # once; when the event outruns the pod's own ADDED event (two
                    # watches, no order between them) its target keeps no pod labels
                    # until the Endpoints object changes again. Ours re-joins when
                    # the pod arrives. A no-op update lets the reference catch up.
                    sim.store.patch("endpoints", "shop", "web", lambda ep: ep)
                    if not await until(same, bound=25.0):
                        ra, rd = reference_targets(ref, norm)
                        oa, od = our_targets(m.targets(), norm)
                        pytest.fail(f"after scaling:\n{describe(oa, ra)}\n{describe(od, rd)}")

            run(body)


def test_same_targets_as_victoria_metrics(tmp_path: Path) -> None:
    from contextlib import contextmanager

    @contextmanager
    def start(config: str) -> Any:
        workdir = tmp_path / "vm"
        workdir.mkdir()
        (workdir / "scrape.yml").write_text(config)
        with run_reference(
            "victoria_metrics",
            [
                "-httpListenAddr=127.0.0.1:{port}",
                "-storageDataPath={dir}/data",
                "-promscrape.config={dir}/scrape.yml",
                "-promscrape.kubernetesSDCheckInterval=1s",
            ],
            workdir,
            "/health",
        ) as proc:
            yield proc

    compare(tmp_path, "VictoriaMetrics", start, vm_differences)


def test_same_targets_as_prometheus(tmp_path: Path) -> None:
    from contextlib import contextmanager

    promtool = require_binary("promtool")
    probe = tmp_path / "probe.yml"
    probe.write_text(kc.scrape_config("http://127.0.0.1:1", 9, roles=ROLES))
    check = subprocess.run(
        [promtool, "check", "config", str(probe)], capture_output=True, text=True
    )
    if "kubernetes_sd_configs not found" in check.stdout + check.stderr:
        pytest.skip("this Prometheus build has no kubernetes_sd (Debian builds it without)")

    @contextmanager
    def start(config: str) -> Any:
        workdir = tmp_path / "prometheus"
        workdir.mkdir()
        (workdir / "prometheus.yml").write_text(config)
        with run_reference(
            "prometheus",
            [
                "--config.file={dir}/prometheus.yml",
                "--storage.tsdb.path={dir}/data",
                "--web.listen-address=127.0.0.1:{port}",
            ],
            workdir,
            "/-/ready",
        ) as proc:
            yield proc

    compare(tmp_path, "Prometheus", start, no_differences)
