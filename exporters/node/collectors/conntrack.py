"""conntrack: netfilter connection tracking table size and per-CPU statistics
(summed), from ``/proc/sys/net/netfilter`` and ``/proc/net/stat/nf_conntrack``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError, NoDataError
from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge

#: /proc/net/stat/nf_conntrack column -> help of node_nf_conntrack_stat_<column>
STATS: Final = {
    "found": "Number of searched entries which were successful.",
    "invalid": "Number of packets seen which can not be tracked.",
    "ignore": "Number of packets seen which are already connected to a conntrack entry.",
    "insert": "Number of entries inserted into the list.",
    "insert_failed": "Number of entries for which list insertion was attempted but failed.",
    "drop": "Number of packets dropped due to conntrack failure.",
    "early_drop": "Number of dropped conntrack entries to make room for new ones, "
    "if maximum table size was reached.",
    "search_restart": "Number of conntrack table lookups which had to be restarted due to "
    "hashtable resizes.",
}


def parse_stat(text: str) -> dict[str, float]:
    """Column name -> sum over CPUs (the file has one hex row per CPU)."""
    lines = text.splitlines()
    if not lines:
        raise CollectorError("empty /proc/net/stat/nf_conntrack")
    header = lines[0].split()
    totals = dict.fromkeys(header, 0.0)
    for line in lines[1:]:
        values = line.split()
        if len(values) != len(header):
            raise CollectorError(f"invalid nf_conntrack stat line: {line!r}")
        for name, value in zip(header, values, strict=True):
            totals[name] += int(value, 16)
    return totals


class ConntrackCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        try:
            entries = float(self.source.proc("sys/net/netfilter/nf_conntrack_count"))
            limit = float(self.source.proc("sys/net/netfilter/nf_conntrack_max"))
        except FileNotFoundError:
            raise NoDataError("conntrack: nf_conntrack is not loaded") from None
        yield gauge(
            "node_nf_conntrack_entries",
            "Number of currently allocated flow entries for connection tracking.",
            entries,
        )
        yield gauge(
            "node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.", limit
        )
        totals = parse_stat(self.source.proc("net/stat/nf_conntrack"))
        for name, help_text in STATS.items():
            if name in totals:
                yield gauge(f"node_nf_conntrack_stat_{name}", help_text, totals[name])


def build(source: NodeSource, options: NodeOptions) -> ConntrackCollector:
    return ConntrackCollector(source)
