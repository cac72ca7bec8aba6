"""``promlab node-exporter``: node_exporter 1.5's flags, parsed into
``NodeOptions`` and handed to ``exporters.node.serve``. Thin on purpose."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import click

from exporters.common.web import DURATION, WebFlags, web_flags
from exporters.node import options as defaults
from exporters.node.collectors import DEFAULTS

F = Callable[..., Any]


def _collector_flags(f: F) -> F:
    """``--collector.X/--no-collector.X`` for every collector; None = not given."""
    for name in reversed(DEFAULTS):
        state = "enabled" if DEFAULTS[name] else "disabled"
        f = click.option(
            f"--collector.{name}/--no-collector.{name}",
            f"collector__{name}",
            default=None,
            help=f"Enable the {name} collector (default: {state}).",
        )(f)
    return f


_OPTIONS: list[Callable[[F], F]] = [
    click.option("--path.procfs", "procfs", default="/proc", show_default=True,
                 help="procfs mountpoint."),
    click.option("--path.sysfs", "sysfs", default="/sys", show_default=True,
                 help="sysfs mountpoint."),
    click.option("--path.rootfs", "rootfs", default="/", show_default=True,
                 help="rootfs mountpoint."),
    click.option("--path.udev.data", "udev_data", default="/run/udev/data", show_default=True,
                 help="udev data path."),
    click.option("--collector.disable-defaults", "disable_defaults", is_flag=True,
                 help="Set all collectors to disabled by default."),
    click.option("--web.disable-exporter-metrics", "disable_exporter_metrics", is_flag=True,
                 help="Exclude metrics about the exporter itself (process_*, python_*, "
                 "promhttp_*)."),
    click.option("--collector.cpu.guest/--no-collector.cpu.guest", "cpu_guest", default=True,
                 show_default=True, help="Enables metric node_cpu_guest_seconds_total."),
    click.option("--collector.diskstats.device-exclude", "diskstats_exclude", default=None,
                 help="Regexp of diskstats devices to exclude (mutually exclusive to "
                 f"device-include). [default: {defaults.DISKSTATS_DEVICE_EXCLUDE}]"),
    click.option("--collector.diskstats.device-include", "diskstats_include", default=None,
                 help="Regexp of diskstats devices to include (mutually exclusive to "
                 "device-exclude)."),
    click.option("--collector.filesystem.mount-points-exclude", "mount_points_exclude",
                 default=defaults.MOUNT_POINTS_EXCLUDE, show_default=True,
                 help="Regexp of mount points to exclude for filesystem collector."),
    click.option("--collector.filesystem.fs-types-exclude", "fs_types_exclude",
                 default=defaults.FS_TYPES_EXCLUDE, show_default=True,
                 help="Regexp of filesystem types to exclude for filesystem collector."),
    click.option("--collector.filesystem.mount-timeout", "mount_timeout", type=DURATION,
                 default="5s", show_default=True,
                 help="How long to wait for a mount to respond before marking it as stale."),
    click.option("--collector.netdev.device-exclude", "netdev_exclude", default=None,
                 help="Regexp of net devices to exclude (mutually exclusive to "
                 f"device-include). [default: {defaults.NETDEV_DEVICE_EXCLUDE}]"),
    click.option("--collector.netdev.device-include", "netdev_include", default=None,
                 help="Regexp of net devices to include (mutually exclusive to "
                 "device-exclude)."),
    click.option("--collector.netdev.netlink/--no-collector.netdev.netlink", "netdev_netlink",
                 default=True, show_default=True,
                 help="Report the netlink-only receive_nohandler counter (from sysfs)."),
    click.option("--collector.netstat.fields", "netstat_fields",
                 default=defaults.NETSTAT_FIELDS, show_default=True,
                 help="Regexp of fields to return for netstat collector."),
    click.option("--collector.vmstat.fields", "vmstat_fields", default=defaults.VMSTAT_FIELDS,
                 show_default=True, help="Regexp of fields to return for vmstat collector."),
    click.option("--collector.textfile.directory", "textfile_directory",
                 default=defaults.TEXTFILE_DIRECTORY, show_default=True,
                 help="Directory to read text files with metrics from."),
    click.option("--log.level", "log_level", default="info", show_default=True,
                 type=click.Choice(["debug", "info", "warn", "error"]),
                 help="Only log messages with the given severity or above."),
]  # fmt: skip


def _options(f: F) -> F:
    for option in reversed(_OPTIONS):
        f = option(f)
    return f


@click.command("node-exporter")
@web_flags(default_listen=":9100")
@_options
@_collector_flags
def node_exporter(web: WebFlags, **flags: Any) -> None:
    """Prometheus node exporter (drop-in for node_exporter 1.5): host metrics
    from procfs/sysfs at --web.telemetry-path."""
    from exporters.common.web import WebError
    from exporters.node.errors import NodeExporterError
    from exporters.node.exporter import NodeExporter, resolve_enabled
    from exporters.node.options import NodeOptions
    from exporters.node.serve import serve
    from exporters.node.source import HostSource, Paths

    level = flags.pop("log_level")
    logging.basicConfig(
        level=getattr(logging, level.upper() if level != "warn" else "WARNING"),
        format="ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)r",
    )
    toggles = {k: flags.pop(k) for k in [k for k in flags if k.startswith("collector__")]}
    explicit = {k.removeprefix("collector__"): v for k, v in toggles.items() if v is not None}
    paths = Paths(flags["procfs"], flags["sysfs"], flags["rootfs"], flags["udev_data"])
    options = NodeOptions(
        paths=paths,
        mount_points_exclude=flags["mount_points_exclude"],
        fs_types_exclude=flags["fs_types_exclude"],
        mount_timeout_s=flags["mount_timeout"],
        diskstats_device_exclude=flags["diskstats_exclude"],
        diskstats_device_include=flags["diskstats_include"],
        netdev_device_exclude=flags["netdev_exclude"],
        netdev_device_include=flags["netdev_include"],
        netdev_netlink=flags["netdev_netlink"],
        netstat_fields=flags["netstat_fields"],
        vmstat_fields=flags["vmstat_fields"],
        textfile_directory=flags["textfile_directory"],
        cpu_guest=flags["cpu_guest"],
    )
    try:
        enabled = resolve_enabled(explicit, flags["disable_defaults"])
        exporter = NodeExporter(HostSource(paths, options.mount_timeout_s), options, enabled)
        logging.getLogger("promlab.node_exporter").info(
            "enabled collectors: %s", " ".join(enabled)
        )
        serve(
            exporter,
            web.listen_addresses,
            config_file=web.config_file,
            telemetry_path=web.telemetry_path,
            max_requests=web.max_requests,
            exporter_metrics=not flags["disable_exporter_metrics"],
        )
    except (NodeExporterError, WebError) as exc:
        raise click.ClickException(str(exc)) from None
