"""vmstat: ``/proc/vmstat`` fields matching ``--collector.vmstat.fields``, untyped."""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..options import NodeOptions, go_regex
from ..source import NodeSource
from .families import untyped


class VmstatCollector:
    def __init__(self, source: NodeSource, fields: re.Pattern[str]) -> None:
        self.source = source
        self.fields = fields

    def collect(self) -> Iterator[Metric]:
        for line in self.source.proc("vmstat").splitlines():
            parts = line.split()
            if len(parts) != 2 or not self.fields.search(parts[0]):
                continue
            yield untyped(
                f"node_vmstat_{parts[0]}",
                f"/proc/vmstat information field {parts[0]}.",
                float(parts[1]),
            )


def build(source: NodeSource, options: NodeOptions) -> VmstatCollector:
    return VmstatCollector(source, go_regex(options.vmstat_fields, "collector.vmstat.fields"))
