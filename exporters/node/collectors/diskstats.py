"""diskstats: per block device I/O counters from ``/proc/diskstats``, plus
``node_disk_info`` and the udev-derived info families (``--path.udev.data``).

Columns after ``major minor name`` (Documentation/admin-guide/iostats.rst):
reads, reads merged, sectors read, ms reading, writes, writes merged, sectors
written, ms writing, I/Os in progress, ms doing I/O, weighted ms; kernel 4.18
adds four discard columns and 5.5 two flush columns. Sectors are always 512
bytes here, whatever the device's block size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Final

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from ..options import DeviceFilter, NodeOptions
from ..source import NodeSource
from .families import counters, gauges

SECTOR_BYTES: Final = 512.0
MS: Final = 0.001

#: (column, family, help, scale, is_counter)
COLUMNS: Final = (
    (0, "node_disk_reads_completed_total", "The total number of reads completed successfully.",
     1.0, True),
    (1, "node_disk_reads_merged_total", "The total number of reads merged.", 1.0, True),
    (2, "node_disk_read_bytes_total", "The total number of bytes read successfully.",
     SECTOR_BYTES, True),
    (3, "node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.",
     MS, True),
    (4, "node_disk_writes_completed_total", "The total number of writes completed successfully.",
     1.0, True),
    (5, "node_disk_writes_merged_total", "The number of writes merged.", 1.0, True),
    (6, "node_disk_written_bytes_total", "The total number of bytes written successfully.",
     SECTOR_BYTES, True),
    (7, "node_disk_write_time_seconds_total",
     "This is the total number of seconds spent by all writes.", MS, True),
    (8, "node_disk_io_now", "The number of I/Os currently in progress.", 1.0, False),
    (9, "node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", MS, True),
    (10, "node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.",
     MS, True),
    (11, "node_disk_discards_completed_total",
     "The total number of discards completed successfully.", 1.0, True),
    (12, "node_disk_discards_merged_total", "The total number of discards merged.", 1.0, True),
    (13, "node_disk_discarded_sectors_total",
     "The total number of sectors discarded successfully.", 1.0, True),
    (14, "node_disk_discard_time_seconds_total",
     "This is the total number of seconds spent by all discards.", MS, True),
    (15, "node_disk_flush_requests_total",
     "The total number of flush requests completed successfully", 1.0, True),
    (16, "node_disk_flush_requests_time_seconds_total",
     "This is the total number of seconds spent by all flush requests.", MS, True),
)  # fmt: skip

#: udev property -> node_disk_info label
INFO_PROPERTIES: Final = (
    ("ID_MODEL", "model"),
    ("ID_PATH", "path"),
    ("ID_REVISION", "revision"),
    ("ID_SERIAL_SHORT", "serial"),
    ("ID_WWN", "wwn"),
)
FS_PROPERTIES: Final = (
    ("ID_FS_TYPE", "type"),
    ("ID_FS_USAGE", "usage"),
    ("ID_FS_UUID", "uuid"),
    ("ID_FS_VERSION", "version"),
)
DM_PROPERTIES: Final = (
    ("DM_LV_LAYER", "lv_layer"),
    ("DM_LV_NAME", "lv_name"),
    ("DM_NAME", "name"),
    ("DM_UUID", "uuid"),
    ("DM_VG_NAME", "vg_name"),
)
ATA_PROPERTIES: Final = (
    ("ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache",
     "ATA disk has a write cache."),
    ("ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled",
     "ATA disk has its write cache enabled."),
    ("ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm",
     "ATA disk rotation rate in RPMs (0 for SSDs)."),
)  # fmt: skip


def parse_udev(text: str) -> dict[str, str]:
    """The ``E:KEY=value`` properties of a udev database entry."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("E:") and "=" in line:
            key, _, value = line[2:].partition("=")
            out[key] = value
    return out


class DiskstatsCollector:
    def __init__(self, source: NodeSource, devices: DeviceFilter, udev_data: str) -> None:
        self.source = source
        self.devices = devices
        self.udev_data = udev_data

    def collect(self) -> Iterator[Metric]:
        rows: list[tuple[str, str, str, list[str]]] = []
        for line in self.source.proc("diskstats").splitlines():
            parts = line.split()
            if len(parts) < 14 or self.devices.ignored(parts[2]):
                continue
            rows.append((parts[2], parts[0], parts[1], parts[3:]))
        rows.sort()
        families: list[Metric] = []
        for column, name, help_text, scale, is_counter in COLUMNS:
            fam = (counters if is_counter else gauges)(name, help_text, ["device"])
            for device, _, _, values in rows:
                if column < len(values):
                    fam.add_metric([device], float(values[column]) * scale)
            if fam.samples:
                families.append(fam)
        families.extend(self._udev_families(rows))
        return iter(families)

    def _udev_families(self, rows: list[tuple[str, str, str, list[str]]]) -> Iterator[Metric]:
        info = gauges(
            "node_disk_info",
            "Info of /sys/block/<block_device>.",
            ["device", "major", "minor", *(label for _, label in INFO_PROPERTIES)],
        )
        fs_info = gauges(
            "node_disk_filesystem_info",
            "Info about disk filesystem.",
            ["device", *(label for _, label in FS_PROPERTIES)],
        )
        dm_info = gauges(
            "node_disk_device_mapper_info",
            "Info about disk device mapper.",
            ["device", *(label for _, label in DM_PROPERTIES)],
        )
        ata = {key: gauges(name, help_text, ["device"]) for key, name, help_text in ATA_PROPERTIES}
        for device, major, minor, _ in rows:
            try:
                props = parse_udev(
                    self.source.file(os.path.join(self.udev_data, f"b{major}:{minor}")).decode(
                        "utf-8", "replace"
                    )
                )
            except OSError:
                props = {}  # no udev database (containers): the labels stay empty
            info.add_metric(
                [device, major, minor, *(props.get(k, "") for k, _ in INFO_PROPERTIES)], 1.0
            )
            if props.get("ID_FS_TYPE"):
                fs_info.add_metric([device, *(props.get(k, "") for k, _ in FS_PROPERTIES)], 1.0)
            if props.get("DM_NAME"):
                dm_info.add_metric([device, *(props.get(k, "") for k, _ in DM_PROPERTIES)], 1.0)
            for key, fam in ata.items() if props.get("ID_ATA") else ():
                if key in props:
                    try:
                        fam.add_metric([device], float(props[key]))
                    except ValueError:
                        continue
        fams: list[GaugeMetricFamily] = [info, fs_info, dm_info, *ata.values()]
        return (fam for fam in fams if fam.samples)


def build(source: NodeSource, options: NodeOptions) -> DiskstatsCollector:
    return DiskstatsCollector(source, options.diskstats_filter(), options.paths.udev_data)
