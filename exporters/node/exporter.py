"""The node exporter proper: runs the enabled collectors on every scrape.

Each collector runs inside its own error boundary: if it raises, its families
are dropped, ``node_scrape_collector_success{collector}`` is 0 and the error
is logged; the scrape itself never fails (upstream's ``ContinueOnError``).
Collectors run one after the other: they only read small procfs/sysfs files,
and with the GIL a thread per collector made a scrape slower, not faster
(``bench/node_exporter.py`` prints both). statfs, the one call that can
block for long (hung NFS), has its own timeout in the source.
"""

from __future__ import annotations

import logging
import platform
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from . import collectors
from .errors import FilterError, NoDataError, OptionsError
from .options import NodeOptions
from .source import NodeSource

log = logging.getLogger("promlab.node_exporter")

#: The node_exporter release whose metrics and flags we follow.
UPSTREAM_VERSION: Final = "1.5.0"
#: Our ``version`` label: semver build metadata says "1.5.0-compatible, by promlab".
VERSION: Final = f"{UPSTREAM_VERSION}+promlab"
_GOARCH: Final = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "armv7l": "arm"}


def family_name(metric: Metric) -> str:
    """The name a family is sent (and sorted) under in text 0.0.4:
    prometheus_client strips ``_total``/``_info`` from its model's names; a
    counter whose samples lack ``_total`` (text files) keeps its own name."""
    if metric.type == "counter":
        total = metric.name + "_total"
        if any(s.name == total for s in metric.samples):
            return total
    elif metric.type == "info":
        return metric.name + "_info"
    return metric.name


def resolve_enabled(explicit: dict[str, bool], disable_defaults: bool = False) -> list[str]:
    """Enabled collector names: defaults (unless ``disable_defaults``) overridden
    by ``--collector.X`` (True) / ``--no-collector.X`` (False)."""
    unknown = sorted(set(explicit) - set(collectors.DEFAULTS))
    if unknown:
        raise OptionsError(f"unknown collector(s): {', '.join(unknown)}")
    enabled = []
    for name, default in collectors.DEFAULTS.items():
        on = explicit.get(name, default and not disable_defaults)
        if on:
            enabled.append(name)
    return enabled


def build_info(version: str, revision: str = "promlab") -> Metric:
    """``node_exporter_build_info`` with upstream's labels. The go* labels
    describe the runtime we run on (Python), so dashboards keyed on them work."""
    fam = GaugeMetricFamily(
        "node_exporter_build_info",
        "A metric with a constant '1' value labeled by version, revision, branch, goversion "
        "from which node_exporter was built, and the goos and goarch for the build.",
        labels=["branch", "goarch", "goos", "goversion", "revision", "version"],
    )
    machine = platform.machine()
    fam.add_metric(
        [
            "HEAD",
            _GOARCH.get(machine, machine),
            sys.platform,
            f"python{platform.python_version()}",
            revision,
            version,
        ],
        1.0,
    )
    return fam


class NodeExporter:
    """A prometheus_client collector over the enabled node collectors."""

    def __init__(
        self,
        source: NodeSource,
        options: NodeOptions,
        enabled: Sequence[str],
        *,
        version: str = VERSION,
    ) -> None:
        self.enabled = tuple(sorted(enabled))
        self.collectors = {name: collectors.build(name, source, options) for name in self.enabled}
        self.version = version

    def collect(self) -> Iterator[Metric]:
        return iter(self.scrape(self.enabled))

    def filtered(self, names: Sequence[str]) -> FilteredCollector:
        """The collectors ``names`` only (``?collect[]=``); raises ``FilterError``
        with upstream's 400 text for a name that is unknown or not enabled."""
        for name in names:
            if name not in self.collectors:
                reason = "disabled" if name in collectors.DEFAULTS else "missing"
                raise FilterError(
                    "Couldn't create filtered metrics handler: couldn't create collector: "
                    f"{reason} collector: {name}"
                )
        return FilteredCollector(self, tuple(sorted(set(names))))

    def scrape(self, names: Iterable[str]) -> list[Metric]:
        """Run collectors ``names``; families sorted by name, as Go's registry sends them."""
        families: list[Metric] = [build_info(self.version)]
        duration = GaugeMetricFamily(
            "node_scrape_collector_duration_seconds",
            "node_exporter: Duration of a collector scrape.",
            labels=["collector"],
        )
        success = GaugeMetricFamily(
            "node_scrape_collector_success",
            "node_exporter: Whether a collector succeeded.",
            labels=["collector"],
        )
        for name in names:
            start = time.perf_counter()
            try:
                got = list(self.collectors[name].collect())
                ok = 1.0
            except Exception as exc:  # the boundary: one collector never fails the scrape
                got = []
                ok = 0.0
                level = logging.DEBUG if isinstance(exc, NoDataError) else logging.ERROR
                log.log(level, "collector failed: name=%s err=%s", name, exc)
            # Go's time.Duration has nanosecond resolution; so do we, for alike output.
            duration.add_metric([name], round(time.perf_counter() - start, 9))
            success.add_metric([name], ok)
            families.extend(got)
        families.append(duration)
        families.append(success)
        families.sort(key=family_name)
        return families


class FilteredCollector:
    """The view ``?collect[]=`` asks for."""

    def __init__(self, exporter: NodeExporter, names: tuple[str, ...]) -> None:
        self.exporter = exporter
        self.names = names

    def collect(self) -> Iterator[Metric]:
        return iter(self.exporter.scrape(self.names))


def self_registry() -> CollectorRegistry:
    """The exporter's own process metrics: ``process_*`` (as Go's), and the
    Python runtime's ``python_info`` / ``python_gc_*`` where Go has ``go_*``."""
    from prometheus_client import GCCollector, PlatformCollector, ProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
