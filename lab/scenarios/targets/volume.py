"""A PersistentVolumeClaim as the kubelet reports it (``kubelet_volume_stats_*``,
scraped from the kubelet's ``/metrics``). Knob ``used``: fraction used."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from lab.scenarios.targets.base import F64, Grid, Scrape

GIB = 1024.0**3


@dataclass(frozen=True, slots=True)
class Volume:
    claim: str
    namespace: str = "shop"
    node: str = "node-1"
    size_gib: float = 50.0
    used: float = 0.3

    @property
    def name(self) -> str:
        return self.claim

    @property
    def members(self) -> int:
        return 1

    def baseline(self) -> Mapping[str, float]:
        return {"used": self.used}

    def scrapes(self, grid: Grid, knobs: Mapping[str, F64], rng: np.random.Generator) -> Iterator[
        Scrape
    ]:
        n = grid.steps
        capacity = np.full(n, self.size_gib * GIB)
        frac = np.clip(knobs["used"][0] + rng.normal(0, 0.0003, n), 0.0, 1.0)
        used = np.round(capacity * frac / 4096) * 4096
        s = Scrape("kubelet", f"{self.node}:10250", np.ones(n),
                   target_labels={"metrics_path": "/metrics"})
        ids = {"namespace": self.namespace, "persistentvolumeclaim": self.claim}
        s.add(capacity, "kubelet_volume_stats_capacity_bytes", **ids)
        s.add(used, "kubelet_volume_stats_used_bytes", **ids)
        s.add(capacity - used, "kubelet_volume_stats_available_bytes", **ids)
        s.add(np.full(n, 3.2e6), "kubelet_volume_stats_inodes", **ids)
        s.add(np.round(3.2e6 * (1 - 0.2 * frac)), "kubelet_volume_stats_inodes_free", **ids)
        yield s
