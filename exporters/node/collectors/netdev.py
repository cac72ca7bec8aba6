"""netdev: per network device counters, ``node_network_{receive,transmit}_*_total``.

Read from ``/proc/net/dev``, whose columns the kernel derives from the same
``rtnl_link_stats64`` that node_exporter 1.5 reads over netlink and folds back
into these legacy names, so the values agree. The one netlink-only counter,
``receive_nohandler``, comes from sysfs when ``--collector.netdev.netlink`` is on
(the default), as upstream then reports it.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric

from ..errors import CollectorError
from ..options import DeviceFilter, NodeOptions
from ..source import NodeSource
from .families import counters


def parse_net_dev(text: str) -> dict[str, dict[str, float]]:
    """device -> ``receive_bytes`` ... ``transmit_compressed`` -> value."""
    lines = text.splitlines()
    if len(lines) < 2 or lines[1].count("|") != 2:
        raise CollectorError("unexpected /proc/net/dev header")
    _, rx_header, tx_header = lines[1].split("|")
    keys = [f"receive_{k}" for k in rx_header.split()] + [
        f"transmit_{k}" for k in tx_header.split()
    ]
    out: dict[str, dict[str, float]] = {}
    for line in lines[2:]:
        device, sep, rest = line.partition(":")
        if not sep:
            continue
        values = rest.split()
        if len(values) != len(keys):
            raise CollectorError(f"invalid /proc/net/dev line: {line!r}")
        out[device.strip()] = {k: float(v) for k, v in zip(keys, values, strict=True)}
    return out


class NetdevCollector:
    def __init__(self, source: NodeSource, devices: DeviceFilter, netlink: bool) -> None:
        self.source = source
        self.devices = devices
        self.netlink = netlink

    def collect(self) -> Iterator[Metric]:
        stats = {
            dev: values
            for dev, values in parse_net_dev(self.source.proc("net/dev")).items()
            if not self.devices.ignored(dev)
        }
        if self.netlink:
            for dev, values in stats.items():
                try:
                    text = self.source.sys(f"class/net/{dev}/statistics/rx_nohandler")
                except OSError:
                    continue
                values["receive_nohandler"] = float(text)
        keys = sorted({k for values in stats.values() for k in values})
        for key in keys:
            fam = counters(
                f"node_network_{key}_total", f"Network device statistic {key}.", ["device"]
            )
            for dev in sorted(stats):
                if key in stats[dev]:
                    fam.add_metric([dev], stats[dev][key])
            yield fam


def build(source: NodeSource, options: NodeOptions) -> NetdevCollector:
    return NetdevCollector(source, options.netdev_filter(), options.netdev_netlink)
