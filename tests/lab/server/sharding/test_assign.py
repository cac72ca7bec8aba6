"""Shard assignment over 300 static targets: each target on exactly one shard;
growing to 4 shards moves exactly the targets whose hashmod changed."""

from __future__ import annotations

import pytest

from lab.server.config import Config, loads
from lab.server.scrape.relabel import hashmod
from lab.server.scrape.target import populate_labels
from lab.server.sharding.assign import apply_sharding, shard_rules
from lab.server.sharding.errors import ShardConfigError

TARGETS = [f"10.0.{i // 250}.{i % 250}:9100" for i in range(300)]


def _config() -> Config:
    lines = "\n".join(f"          - '{t}'" for t in TARGETS)
    return loads(
        "scrape_configs:\n"
        "  - job_name: nodes\n    static_configs:\n      - targets:\n" + lines + "\n"
        "  - job_name: other\n    static_configs:\n      - targets: ['a:1', 'b:2']\n"
    )


def _assigned(config: Config) -> set[tuple[str, str]]:
    out = set()
    for sc in config.scrape_configs:
        for static in sc.static_configs:
            for t in static.targets:
                labels, _ = populate_labels(sc, {"__address__": t}, static.labels.to_dict())
                if labels is not None:
                    out.add((sc.job_name, labels.get("instance")))
    return out


def _shards(total: int) -> list[set[tuple[str, str]]]:
    base = _config()
    return [_assigned(apply_sharding(base, n, total)) for n in range(total)]


def test_three_shards_cover_every_target_exactly_once() -> None:
    shards = _shards(3)
    everything = _assigned(_config())
    assert len(everything) == 302
    assert set().union(*shards) == everything
    assert sum(len(s) for s in shards) == len(everything)
    assert all(len(s) > 60 for s in shards)  # md5 spreads them


def test_a_fourth_shard_moves_only_targets_whose_hashmod_changed() -> None:
    three, four = _shards(3), _shards(4)
    where3 = {t: i for i, s in enumerate(three) for t in s}
    where4 = {t: i for i, s in enumerate(four) for t in s}
    for (job, addr), shard in where4.items():
        assert shard == hashmod(addr, 4)
        assert where3[(job, addr)] == hashmod(addr, 3)
    moved = {t for t in where3 if where3[t] != where4[t]}
    assert moved == {t for t in where3 if hashmod(t[1], 3) != hashmod(t[1], 4)}
    assert 0 < len(moved) < len(where3)


def test_vertical_mode_assigns_whole_jobs() -> None:
    base = _config()
    jobs = [{sc.job_name for sc in apply_sharding(base, n, 2, "vertical").scrape_configs}
            for n in range(2)]  # fmt: skip
    assert sorted(j for js in jobs for j in js) == ["nodes", "other"]


def test_one_shard_is_the_identity_and_bad_flags_are_refused() -> None:
    base = _config()
    assert apply_sharding(base, 0, 1) is base
    with pytest.raises(ShardConfigError, match="--shard must be in"):
        shard_rules(3, 3)
    with pytest.raises(ShardConfigError, match="--total-shards"):
        shard_rules(0, 0)
    with pytest.raises(ShardConfigError, match="unknown sharding mode"):
        apply_sharding(base, 0, 2, "diagonal")
