"""sockstat: socket counts from ``/proc/net/sockstat`` and ``sockstat6``.

``TCP: inuse 2 orphan 0 tw 1 alloc 2 mem 344`` gives ``node_sockstat_TCP_inuse``
and so on; ``mem`` is in pages and also reported as ``mem_bytes``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge


def parse_sockstat(text: str) -> list[tuple[str, str, float]]:
    """(protocol, field, value) in file order; ``sockets: used`` is protocol "sockets"."""
    out: list[tuple[str, str, float]] = []
    for line in text.splitlines():
        proto, sep, rest = line.partition(":")
        parts = rest.split()
        if not sep or len(parts) % 2:
            raise CollectorError(f"invalid sockstat line: {line!r}")
        for field, value in zip(parts[::2], parts[1::2], strict=True):
            out.append((proto, field, float(value)))
    return out


class SockstatCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        stats = parse_sockstat(self.source.proc("net/sockstat"))
        with contextlib.suppress(FileNotFoundError):  # no IPv6
            stats += parse_sockstat(self.source.proc("net/sockstat6"))
        page = self.source.page_size()
        for proto, field, value in stats:
            if proto == "sockets" and field == "used":
                yield gauge("node_sockstat_sockets_used", "Number of IPv4 sockets in use.", value)
                continue
            yield gauge(
                f"node_sockstat_{proto}_{field}",
                f"Number of {proto} sockets in state {field}.",
                value,
            )
            if field == "mem":
                yield gauge(
                    f"node_sockstat_{proto}_mem_bytes",
                    f"Number of {proto} sockets in state mem_bytes.",
                    value * page,
                )


def build(source: NodeSource, options: NodeOptions) -> SockstatCollector:
    return SockstatCollector(source)
