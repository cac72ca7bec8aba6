"""The inventory of metric names the lab can produce, source by source.

``inventory(repo)`` runs each producer (``from_exporters``) and renders every
library scenario (its targets emit series our exporters do not, such as
cAdvisor's ``container_*``, the kubelet's volume stats and the demo app's
``http_*``). Recording rules are added by the check itself, from the rule
files it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lab.check import from_exporters

SYNTHETIC_SOURCE = "scrape loop / rule manager"
#: series no exporter exposes: the scrape loop writes them per target, the
#: rule manager writes the alert state
SYNTHETIC = frozenset({
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added",
    "ALERTS", "ALERTS_FOR_STATE",
})


@dataclass(frozen=True, slots=True)
class Inventory:
    """Source name -> metric names it produces."""

    sources: Mapping[str, frozenset[str]]

    @property
    def names(self) -> frozenset[str]:
        return frozenset().union(*self.sources.values())

    def origins(self, name: str) -> list[str]:
        return [src for src, names in self.sources.items() if name in names]

    def with_source(self, source: str, names: frozenset[str], *, before: str) -> Inventory:
        """Another source, listed before ``before`` (the order attributes a
        name several sources produce to the first of them)."""
        items = list(self.sources.items())
        at = next((i for i, (src, _) in enumerate(items) if src == before), len(items))
        items.insert(at, (source, names))
        return Inventory(dict(items))


def scenario_names() -> set[str]:
    from lab.scenarios.library import discover
    from lab.scenarios.runner import render

    out: set[str] = set()
    for cls in discover().values():
        out.update(s.labels.get("__name__") or "" for s in render(cls).series)
    out.discard("")
    return out


@cache
def inventory(repo: Path) -> Inventory:
    """Everything our code produces (cached: it is the same for every check
    in a process, and rendering the scenarios is the slow part)."""
    producers: dict[str, Callable[[], set[str]]] = {
        "node-exporter": lambda: from_exporters.node_exporter_names(repo),
        "kube-state-metrics": from_exporters.kube_state_names,
        "pushgateway": from_exporters.pushgateway_names,
        "scenarios": scenario_names,
    }
    sources = {name: frozenset(make()) for name, make in producers.items()}
    # Before the scenarios, which render ``up`` and friends too.
    return Inventory(sources).with_source(SYNTHETIC_SOURCE, SYNTHETIC, before="scenarios")
