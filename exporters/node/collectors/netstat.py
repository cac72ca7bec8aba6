"""netstat: protocol counters from ``/proc/net/{netstat,snmp,snmp6}``, untyped,
named ``node_netstat_<Proto>_<Field>`` and filtered by ``--collector.netstat.fields``."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import NodeOptions, go_regex
from ..source import NodeSource
from .families import untyped


def parse_pairs(text: str) -> dict[tuple[str, str], str]:
    """``Proto: Name ...`` / ``Proto: value ...`` line pairs (netstat, snmp)."""
    out: dict[tuple[str, str], str] = {}
    lines = text.splitlines()
    for names_line, values_line in zip(lines[::2], lines[1::2], strict=False):
        names = names_line.split()
        values = values_line.split()
        if not names or not values or names[0] != values[0] or len(names) != len(values):
            raise CollectorError(f"mismatched netstat lines: {names_line!r}")
        proto = names[0].rstrip(":")
        for name, value in zip(names[1:], values[1:], strict=True):
            out[(proto, name)] = value
    return out


def parse_snmp6(text: str) -> dict[tuple[str, str], str]:
    """``Ip6InOctets  128`` lines: the protocol is the name up to its first "6"."""
    out: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        six = parts[0].find("6")
        if six != -1:
            out[(parts[0][: six + 1], parts[0][six + 1 :])] = parts[1]
    return out


class NetstatCollector:
    def __init__(self, source: NodeSource, fields: re.Pattern[str]) -> None:
        self.source = source
        self.fields = fields

    def collect(self) -> Iterator[Metric]:
        stats = parse_pairs(self.source.proc("net/netstat"))
        stats.update(parse_pairs(self.source.proc("net/snmp")))
        with contextlib.suppress(FileNotFoundError):  # IPv6 disabled: carry on without it
            stats.update(parse_snmp6(self.source.proc("net/snmp6")))
        for (proto, name), value in stats.items():
            key = f"{proto}_{name}"
            if self.fields.search(key):
                yield untyped(f"node_netstat_{key}", f"Statistic {proto}{name}.", float(value))


def build(source: NodeSource, options: NodeOptions) -> NetstatCollector:
    return NetstatCollector(source, go_regex(options.netstat_fields, "collector.netstat.fields"))
