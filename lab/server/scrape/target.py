"""From discovered labels to a scrape target, as upstream's PopulateLabels.

``populate_labels(cfg, target_labels, group_labels)`` adds ``job``,
``__scheme__``, ``__metrics_path__``, ``__scrape_interval__``,
``__scrape_timeout__`` and ``__param_*`` where absent, runs
``relabel_configs``, checks the result (``no address``, durations, timeout >
interval), drops ``__meta_*`` and defaults ``instance`` to ``__address__``.
Unlike Prometheus 2.x (and like 3.x) no default port is added to the address.

A ``Target`` is one scrapable endpoint plus its health for the targets page.
"""

from __future__ import annotations

import enum
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from lab.model.labels import Labels, quote
from lab.server.config import ScrapeConfig
from lab.server.config_yaml import format_duration_ms, parse_duration_ms

from .errors import TargetError
from .relabel import process_dict

ADDRESS = "__address__"
SCHEME = "__scheme__"
METRICS_PATH = "__metrics_path__"
SCRAPE_INTERVAL = "__scrape_interval__"
SCRAPE_TIMEOUT = "__scrape_timeout__"
PARAM_PREFIX = "__param_"
META_PREFIX = "__meta_"
RESERVED_PREFIX = "__"


def discovered_labels(
    cfg: ScrapeConfig, target: Mapping[str, str], group: Mapping[str, str]
) -> dict[str, str]:
    """Labels before relabeling: target's, then group's, then the config's defaults."""
    lb = {k: v for k, v in group.items() if v}
    lb.update((k, v) for k, v in target.items() if v)
    defaults = {
        "job": cfg.job_name,
        SCRAPE_INTERVAL: format_duration_ms(cfg.scrape_interval_ms),
        SCRAPE_TIMEOUT: format_duration_ms(cfg.scrape_timeout_ms),
        METRICS_PATH: cfg.metrics_path,
        SCHEME: cfg.scheme,
    }
    for name, value in defaults.items():
        if not lb.get(name):
            lb[name] = value
    for name, values in cfg.params:
        if values and not lb.get(PARAM_PREFIX + name):
            lb[PARAM_PREFIX + name] = values[0]
    return lb


def populate_labels(
    cfg: ScrapeConfig, target: Mapping[str, str], group: Mapping[str, str]
) -> tuple[Labels | None, Labels]:
    """``(labels, discovered)``; labels is None when relabeling dropped the target.
    Raises ``TargetError`` for a target that cannot be scraped."""
    lb = discovered_labels(cfg, target, group)
    discovered = Labels.from_pairs(lb.items())
    if not process_dict(lb, cfg.relabel_configs):
        return None, discovered
    addr = lb.get(ADDRESS, "")
    if not addr:
        raise TargetError("no address")
    if "/" in addr:
        raise TargetError(f'"{addr}" is not a valid hostname')
    durations = {}
    for name, what in ((SCRAPE_INTERVAL, "interval"), (SCRAPE_TIMEOUT, "timeout")):
        try:
            durations[what] = parse_duration_ms(lb.get(name, ""))
        except ValueError as exc:
            raise TargetError(f"error parsing scrape {what}: {exc}") from None
        if durations[what] == 0:
            raise TargetError(f"scrape {what} cannot be 0")
    if durations["timeout"] > durations["interval"]:
        raise TargetError(
            "scrape timeout cannot be greater than scrape interval "
            f"({quote(lb[SCRAPE_TIMEOUT])} > {quote(lb[SCRAPE_INTERVAL])})"
        )
    for name in [n for n in lb if n.startswith(META_PREFIX)]:
        del lb[name]
    if not lb.get("instance"):
        lb["instance"] = addr
    return Labels.from_pairs(lb.items()), discovered


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class Health(enum.Enum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One active target as ``/api/v1/targets`` shows it (times in ms / seconds)."""

    scrape_pool: str
    scrape_url: str
    labels: Labels
    discovered_labels: Labels
    health: Health
    last_error: str
    last_scrape_ms: int | None
    last_scrape_duration_s: float
    scrape_interval: str
    scrape_timeout: str


class Target:
    """A scrape target: its labels (reserved ones included), URL and health."""

    def __init__(self, job: str, labels: Labels, discovered: Labels) -> None:
        self.job = job
        self.labels = labels
        self.discovered = discovered
        self.health = Health.UNKNOWN
        self.last_error = ""
        self.last_scrape_ms: int | None = None
        self.last_scrape_duration_s = 0.0

    @property
    def interval_ms(self) -> int:
        return parse_duration_ms(self.labels.get(SCRAPE_INTERVAL))

    @property
    def timeout_ms(self) -> int:
        return parse_duration_ms(self.labels.get(SCRAPE_TIMEOUT))

    def public_labels(self) -> Labels:
        """The labels every scraped series gets (no ``__`` labels)."""
        return Labels.from_sorted(p for p in self.labels if not p[0].startswith(RESERVED_PREFIX))

    def url(self, params: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> str:
        query: dict[str, list[str]] = {k: list(v) for k, v in params}
        for name, value in self.labels:
            if name.startswith(PARAM_PREFIX):
                key = name[len(PARAM_PREFIX) :]
                query[key] = [value, *query.get(key, [])[1:]]
        qs = urllib.parse.urlencode(sorted(query.items()), doseq=True)
        base = f"{self.labels.get(SCHEME)}://{self.labels.get(ADDRESS)}"
        return base + self.labels.get(METRICS_PATH) + (f"?{qs}" if qs else "")

    def hash(self) -> int:
        """Stable across runs: the same target gets the same scrape offset."""
        return fnv1a64((str(self.labels) + self.url()).encode())

    def first_scrape_ms(self, now_ms: int, seed: int = 0) -> int:
        """The first tick after ``now_ms``: ticks are at ``offset + k * interval``."""
        interval = self.interval_ms
        offset = (self.hash() ^ seed) % interval
        t = now_ms - now_ms % interval + offset
        return t if t > now_ms else t + interval

    def status(self, params: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> TargetStatus:
        return TargetStatus(
            scrape_pool=self.job,
            scrape_url=self.url(params),
            labels=self.public_labels(),
            discovered_labels=self.discovered,
            health=self.health,
            last_error=self.last_error,
            last_scrape_ms=self.last_scrape_ms,
            last_scrape_duration_s=self.last_scrape_duration_s,
            scrape_interval=self.labels.get(SCRAPE_INTERVAL),
            scrape_timeout=self.labels.get(SCRAPE_TIMEOUT),
        )
