"""meminfo: one gauge per ``/proc/meminfo`` line, named as node_exporter 1.5 does.

``Active(anon):  1580 kB`` becomes ``node_memory_Active_anon_bytes`` = 1580*1024;
a line without unit (``HugePages_Total:  0``) keeps its name and value. 1.5
parses every line generically, so fields new kernels add appear too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge

_PARENS: Final = re.compile(r"\((.*)\)")


def parse_meminfo(text: str) -> dict[str, float]:
    """Field name (upstream spelling, with ``_bytes``) -> value."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if not parts[0].endswith(":") or len(parts) not in (2, 3):
            raise CollectorError(f"invalid /proc/meminfo line: {line!r}")
        key = _PARENS.sub(r"_\1", parts[0][:-1])
        try:
            value = float(parts[1])
        except ValueError:
            raise CollectorError(f"invalid value in /proc/meminfo line: {line!r}") from None
        if len(parts) == 3:
            if parts[2] != "kB":
                raise CollectorError(f"unsupported unit in /proc/meminfo line: {line!r}")
            value *= 1024
            key += "_bytes"
        out[key] = value
    return out


class MeminfoCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        for key, value in parse_meminfo(self.source.proc("meminfo")).items():
            yield gauge(f"node_memory_{key}", f"Memory information field {key}.", value)


def build(source: NodeSource, options: NodeOptions) -> MeminfoCollector:
    return MeminfoCollector(source)
