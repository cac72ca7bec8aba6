"""An HA pair behind ``promlab querier --replica-label replica``: two ``promlab
server`` replicas (external label ``replica=a|b``) scrape the same targets;
one is killed with SIGKILL mid-run and restarted later on the same data
directory. Through the querier every target stays one series, without the
replica label, and without a missing sample across the kill and the restart.

Targets report bucket-aligned timestamps (see ``cluster``), so "continuous"
has an exact meaning that no scheduling hiccup can blur: consecutive samples
are exactly one bucket apart (a gap of 1.5 intervals or more would be a
missing bucket), and both replicas hold identical samples wherever both
scraped.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from tests.lab.server.sharding.cluster import (
    BUCKET_MS,
    Proc,
    fixture_targets,
    get_reply,
    instant,
    querier_proc,
    running,
    samples,
    scrape_config,
    server_proc,
    try_json,
    wait_for,
)

N_TARGETS = 3
BUCKET_S = BUCKET_MS // 1000


def _newest(base: str) -> float:
    """The oldest of the targets' newest samples (0 when there is none)."""
    got = try_json(base, "/api/v1/query", [("query", "min(timestamp(lab_temperature))")])
    return float(got["result"][0]["value"][1]) if got and got["result"] else 0.0


def _wait_buckets(what: str, base: str, n: int) -> float:
    """Wait until ``base`` has ``n`` more buckets of every target; the newest."""
    start = _newest(base)
    return wait_for(what, lambda: (t := _newest(base)) >= start + n * BUCKET_S and t, 60)


def _own(base: str, since_s: float) -> dict[str, list[float]]:
    """One replica's own timestamps per instance, from ``since_s`` on."""
    got = samples(base, "lab_temperature", int(time.time() - since_s) + 2 * BUCKET_S)
    return {dict(k)["instance"]: [t for t, _ in p if t >= since_s] for k, p in got.items()}


def _widest_step(ts: list[float]) -> float:
    return max(b - a for a, b in itertools.pairwise(ts))


def _check_continuous(querier: str, since_s: float) -> dict[str, list[float]]:
    """Through the querier: one series per target, no replica label, and a
    sample in every bucket from ``since_s`` on; the timestamps per instance."""
    window = int(time.time() - since_s) + 2 * BUCKET_S
    got = samples(querier, "lab_temperature", window)
    instances = [dict(k)["instance"] for k in got]
    assert len(got) == N_TARGETS and len(set(instances)) == N_TARGETS, sorted(got)
    out = {}
    for key, points in got.items():
        assert "replica" not in dict(key), key
        ts = [t for t, _ in points if t >= since_s]
        steps = {round(b - a, 3) for a, b in itertools.pairwise(ts)}
        missing = [(a, b) for a, b in itertools.pairwise(ts) if b - a > BUCKET_S]
        assert steps == {BUCKET_S}, f"{dict(key)['instance']}: gaps {missing} in {ts}"
        out[dict(key)["instance"]] = ts
    return out


def test_ha_pair_survives_a_replica_killed_and_restarted(tmp_path: Path) -> None:
    with fixture_targets(N_TARGETS) as addresses:
        replicas: list[Proc] = []
        for name in ("a", "b"):
            config = tmp_path / f"{name}.yml"
            config.write_text(scrape_config({"app": addresses}, external={"replica": name}))
            replicas.append(server_proc(name, config, tmp_path))
        a, b = replicas
        querier = querier_proc("querier", [a.url, b.url], tmp_path, "--replica-label", "replica")
        with running([a, b, querier]):
            first = max(_wait_buckets(f"{r.name} scraping", r.url, 1) for r in replicas)
            _wait_buckets("a few buckets from both", b.url, 2)
            before = _check_continuous(querier.url, first)

            a.kill9()
            last_of_a = _newest(b.url)  # a may have scraped up to here
            _wait_buckets("b carrying on alone", b.url, 3)
            # the querier keeps answering from the surviving replica
            during = _check_continuous(querier.url, first)
            assert all(during[i][-1] >= last_of_a + 2 * BUCKET_S for i in during), during
            assert all(set(before[i]) <= set(during[i]) for i in before)
            # not silently: the answer says which store is missing
            reply = get_reply(querier.url, "/api/v1/query", [("query", "count(lab_temperature)")])
            assert reply["data"]["result"][0]["value"][1] == str(N_TARGETS)
            assert [w for w in reply.get("warnings", []) if a.url in w], reply

            a.start()  # same data directory: a replays its WAL
            a.wait_ready()
            _wait_buckets("a scraping again", a.url, 2)
            after = _check_continuous(querier.url, first)
            assert all(set(during[i]) <= set(after[i]) for i in during)

            # a's own data has the hole the kill left; the merged answer has none
            own_a = _own(a.url, first)
            assert all(_widest_step(ts) > BUCKET_S for ts in own_a.values()), own_a

            # both replicas answer again: aggregations see each target once
            [count] = instant(querier.url, "count(lab_temperature)")
            assert count["value"][1] == str(N_TARGETS)
            [total] = instant(querier.url, "count(count by (replica) (lab_temperature))")
            assert total["value"][1] == "1"  # the replica label is gone


def _hole_s(ts: list[float]) -> float:
    return max(b - a for a, b in itertools.pairwise(ts)) - BUCKET_S


@pytest.mark.slow
def test_ha_pair_rolling_restart_fills_each_hole_from_the_other(tmp_path: Path) -> None:
    """Both replicas get a hole (a first, then a longer one in b) and both come
    back. Now a holds more samples, so it is the primary copy and its hole
    must be filled with b's samples: the merged series has every bucket."""
    with fixture_targets(N_TARGETS) as addresses:
        replicas: list[Proc] = []
        for name in ("a", "b"):
            config = tmp_path / f"{name}.yml"
            config.write_text(scrape_config({"app": addresses}, external={"replica": name}))
            replicas.append(server_proc(name, config, tmp_path))
        a, b = replicas
        querier = querier_proc("querier", [a.url, b.url], tmp_path, "--replica-label", "replica")
        with running([a, b, querier]):
            first = max(_wait_buckets(f"{r.name} scraping", r.url, 1) for r in replicas)
            for victim, other, extra in ((a, b, 2), (b, a, 0)):
                victim.kill9()
                # b stays down longer than a did, so that b ends up with fewer samples
                hole_a = max(map(_hole_s, _own(a.url, first).values())) if extra == 0 else 0
                _wait_buckets(f"{other.name} alone", other.url, extra + int(hole_a) // BUCKET_S + 2)
                victim.start()
                victim.wait_ready()
                _wait_buckets(f"{victim.name} back", victim.url, 2)
            own_a, own_b = _own(a.url, first), _own(b.url, first)
            for i in own_a:
                assert _hole_s(own_a[i]) > 0 and _hole_s(own_b[i]) > _hole_s(own_a[i])
                assert len(own_a[i]) > len(own_b[i])  # a is the primary copy
            merged = _check_continuous(querier.url, first)
            for i, ts in own_a.items():
                filled = set(merged[i]) - set(ts)
                assert filled and filled <= set(own_b[i]), "a's hole not filled from b"
