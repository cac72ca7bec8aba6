"""Federation both ways with the real Prometheus 2.42.

One ``promlab server`` and one Prometheus scrape the same fixture targets
(jobs ``promlab_local`` and ``prom_local``) and record a per-job sum; each
also scrapes the other's ``/federate`` for the other's job, with
``honor_labels: true``, every second. Each must end up with the other's series
exactly (the source's labels plus its external labels; the recorded series
without an ``instance``, as the federated ``instance=""`` asks) and with
samples that are the source's own: every federated sample is one the source
holds, at the same timestamp with the same value, and the newest is recent.
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from tests.lab.server.sharding.cluster import (
    fixture_targets,
    get_json,
    running,
    samples,
    scrape_config,
    server_proc,
    try_json,
    wait_for,
)
from tests.reference import ReferenceProcess

WINDOW_S = 30


def _rules(job: str) -> str:
    return (
        "groups:\n  - name: fed\n    interval: 1s\n    rules:\n"
        "      - record: job:lab_requests:sum\n"
        f'        expr: sum by (job) (lab_requests_total{{job="{job}"}})\n'
    )


def _federate_job(source: str, job: str) -> str:
    return (
        "  - job_name: federate\n    honor_labels: true\n    metrics_path: /federate\n"
        f"    params:\n      'match[]': ['{{job=\"{job}\"}}']\n"
        f"    static_configs:\n      - targets: ['{source}']\n"
    )


Key = tuple[tuple[str, str], ...]


def _series(base: str, job: str) -> set[Key]:
    got = try_json(base, "/api/v1/series", [("match[]", f'{{job="{job}"}}'),
                                            ("start", str(time.time() - WINDOW_S))])  # fmt: skip
    return {tuple(sorted(s.items())) for s in got or []}


def _check_federated(src: str, dst: str, job: str, origin: str) -> None:
    """``dst`` holds exactly ``src``'s series of ``job`` (plus ``origin``), with
    samples ``src`` holds, the newest of them recent."""

    def with_origin(key: Key) -> Key:
        return tuple(sorted((*key, ("origin", origin))))

    def same_series() -> bool:
        want = {with_origin(k) for k in _series(src, job)}
        return bool(want) and _series(dst, job) == want

    try:
        wait_for(f"{job}'s series federated into {dst}", same_series)
    except AssertionError as exc:
        want = {with_origin(k) for k in _series(src, job)}
        got = _series(dst, job)
        raise AssertionError(f"{exc}\nmissing: {sorted(want - got)}\n"
                             f"unexpected: {sorted(got - want)}") from None  # fmt: skip
    names = {dict(k)["__name__"] for k in _series(dst, job)}
    assert {"lab_requests_total", "lab_temperature", "up", "job:lab_requests:sum"} <= names
    [recorded] = [dict(k) for k in _series(dst, job) if dict(k)["__name__"].startswith("job:")]
    assert recorded == {"__name__": "job:lab_requests:sum", "job": job, "origin": origin}

    since = time.time()

    def fresh() -> bool:
        got = samples(dst, f'{{job="{job}"}}', WINDOW_S)
        return bool(got) and all(p[-1][0] >= since for p in got.values())

    wait_for(f"fresh federated samples in {dst}", fresh)
    t = time.time()
    theirs = samples(dst, f'{{job="{job}"}}', WINDOW_S, t)
    ours = {with_origin(k): set(p) for k, p in samples(src, f'{{job="{job}"}}', WINDOW_S + 5, t)
            .items()}  # fmt: skip
    for key, points in theirs.items():
        foreign = [pt for pt in points if pt not in ours[key]]
        assert not foreign, f"{dict(key)}: samples the source never had: {foreign[:5]}"


@pytest.mark.reference
def test_federation_both_ways_with_prometheus(
    tmp_path: Path, prometheus_config: Path, request: pytest.FixtureRequest
) -> None:
    with fixture_targets(3) as addresses:
        (tmp_path / "promlab.rules.yml").write_text(_rules("promlab_local"))
        config = tmp_path / "promlab.yml"
        local = scrape_config({"promlab_local": addresses}, external={"origin": "promlab"},
                              extra="rule_files: ['promlab.rules.yml']\n")  # fmt: skip
        config.write_text(local)
        promlab = server_proc("promlab", config, tmp_path, "--web.enable-lifecycle")
        with running([promlab]):
            host = promlab.url.removeprefix("http://")
            (prometheus_config.parent / "prom.rules.yml").write_text(_rules("prom_local"))
            prometheus_config.write_text(
                scrape_config({"prom_local": addresses}, external={"origin": "prom"})
                + _federate_job(host, "promlab_local")
                + "rule_files: ['prom.rules.yml']\n"
            )
            prom: ReferenceProcess = request.getfixturevalue("prometheus")
            # now that Prometheus's address is known, promlab federates it too
            rules_at = local.index("rule_files:")
            config.write_text(
                local[:rules_at]
                + _federate_job(prom.url.removeprefix("http://"), "prom_local")
                + local[rules_at:]
            )
            req = urllib.request.Request(promlab.url + "/-/reload", method="POST")
            with urllib.request.urlopen(req, timeout=30) as resp:
                assert resp.status == 200

            # (a) Prometheus scrapes promlab's /federate
            _check_federated(promlab.url, prom.url, "promlab_local", "promlab")
            # (b) promlab scrapes Prometheus's /federate
            _check_federated(prom.url, promlab.url, "prom_local", "prom")
            # neither federated its own copy back: no loop, no exported_ labels
            for base in (promlab.url, prom.url):
                names = get_json(base, "/api/v1/labels")
                assert not [n for n in names if n.startswith("exported_")], names
