"""Shard assignment: which scrape targets (or jobs) a server scrapes.

**Horizontal** (``--shard=N --total-shards=M``), Prometheus's hashmod recipe:
two relabel steps appended to every scrape config's ``relabel_configs``::

    - source_labels: [__address__]
      modulus: M
      target_label: __tmp_hash
      action: hashmod
    - source_labels: [__tmp_hash]
      regex: N
      action: keep

built with ``lab.server.scrape.relabel`` (its ``hashmod`` is upstream's md5
arithmetic), so a target lands on the same shard here and on a real
Prometheus with the same rules. Running after the user's own rules, the hash
is over the final ``__address__``.

**Vertical** (``mode="vertical"``): whole jobs are assigned by
``hashmod(job_name, M) == N``; each server keeps only its jobs' scrape configs.
"""

from __future__ import annotations

import dataclasses

from lab.server.config import Config, ScrapeConfig
from lab.server.scrape.relabel import Action, RelabelConfig, hashmod
from lab.server.sharding.errors import ShardConfigError

HASH_LABEL = "__tmp_hash"
MODES = ("horizontal", "vertical")


def check(shard: int, total: int) -> None:
    if total < 1:
        raise ShardConfigError(f"--total-shards must be at least 1, got {total}")
    if not 0 <= shard < total:
        raise ShardConfigError(f"--shard must be in [0, {total - 1}], got {shard}")


def shard_rules(shard: int, total: int) -> tuple[RelabelConfig, ...]:
    """The two relabel rules keeping only targets whose address hashes to ``shard``."""
    check(shard, total)
    return (
        RelabelConfig.create(source_labels=("__address__",), modulus=total,
                             target_label=HASH_LABEL, action=Action.HASHMOD.value),
        RelabelConfig.create(source_labels=(HASH_LABEL,), regex=str(shard),
                             action=Action.KEEP.value),
    )  # fmt: skip


def shard_of_address(address: str, total: int) -> int:
    return hashmod(address, total)


def shard_of_job(job_name: str, total: int) -> int:
    return hashmod(job_name, total)


def apply_sharding(config: Config, shard: int, total: int, mode: str = "horizontal") -> Config:
    """``config`` restricted to this shard's share (``total == 1``: unchanged)."""
    check(shard, total)
    if mode not in MODES:
        raise ShardConfigError(f"unknown sharding mode {mode!r} (one of {', '.join(MODES)})")
    if total == 1:
        return config
    if mode == "vertical":
        kept = tuple(sc for sc in config.scrape_configs
                     if shard_of_job(sc.job_name, total) == shard)  # fmt: skip
        return dataclasses.replace(config, scrape_configs=kept)
    rules = shard_rules(shard, total)
    return dataclasses.replace(
        config, scrape_configs=tuple(_with_rules(sc, rules) for sc in config.scrape_configs)
    )


def _with_rules(sc: ScrapeConfig, rules: tuple[RelabelConfig, ...]) -> ScrapeConfig:
    return dataclasses.replace(sc, relabel_configs=(*sc.relabel_configs, *rules))
