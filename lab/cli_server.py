"""``promlab server``: a Prometheus-compatible server, with Prometheus's flags.

Thin: parse and check the flags, hand a ``ServerOptions`` to the composition
root (``lab.server.app``) and run it. Durations use Prometheus's notation
(``15d``, ``2m``, ``1h30m``), sizes its units (``512MB``, ``1GiB``, base 2).
"""

from __future__ import annotations

import asyncio
import logging
import re

import click

_SIZE_UNITS = {
    "B": 1,
    "KB": 1 << 10,
    "MB": 1 << 20,
    "GB": 1 << 30,
    "TB": 1 << 40,
    "PB": 1 << 50,
    "EB": 1 << 60,
}
_SIZE = re.compile(r"(\d+)([KMGTPE]?i?B)")


class PromDuration(click.ParamType[int]):
    """A Prometheus duration flag (``model.Duration``), in milliseconds."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        from lab.server.api.params import prometheus_duration_ms

        ms = prometheus_duration_ms(str(value))
        if ms is None:
            self.fail(f"not a valid duration string: {value!r}", param, ctx)
        return ms


class ByteSize(click.ParamType[int]):
    """A size with base-2 units (``512MB`` = 512 MiB), as Prometheus's flags."""

    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        text = str(value)
        if text == "0":
            return 0
        pos, total = 0, 0
        for m in _SIZE.finditer(text):
            if m.start() != pos:
                break
            total += int(m.group(1)) * _SIZE_UNITS[m.group(2).replace("i", "")]
            pos = m.end()
        if pos != len(text) or not text:
            self.fail(f"invalid size: {text!r} (use e.g. 512MB, 10GB)", param, ctx)
        return total


DURATION = PromDuration()
SIZE = ByteSize()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config.file",
    "config_file",
    default="prometheus.yml",
    show_default=True,
    help="Prometheus configuration file path.",
)
@click.option(
    "--storage.tsdb.path",
    "tsdb_path",
    default="data/",
    show_default=True,
    help="Base path for metrics storage.",
)
@click.option(
    "--storage.tsdb.retention.time",
    "retention_time",
    type=DURATION,
    default=None,
    help="How long to retain samples in storage (default 15d when no size is set).",
)
@click.option(
    "--storage.tsdb.retention.size",
    "retention_size",
    type=SIZE,
    default="0",
    help="Maximum number of bytes of blocks to keep (units: B, KB, MB, GB ...).",
)
@click.option(
    "--web.listen-address",
    "listen",
    multiple=True,
    default=("0.0.0.0:9090",),
    show_default=True,
    help="Address to listen on for the UI, API and telemetry.",
)
@click.option(
    "--web.config.file",
    "web_config_file",
    default="",
    help="Path to a configuration file that can enable TLS or authentication.",
)
@click.option(
    "--web.external-url",
    "external_url",
    default="",
    help="The URL under which Prometheus is externally reachable.",
)
@click.option(
    "--web.dashboards-dir",
    "dashboards_dir",
    default=None,
    help="Directory of Grafana dashboard JSON the web UI shows "
    "(default: dashboards/ if it exists).",
)
@click.option(
    "--web.enable-lifecycle",
    "enable_lifecycle",
    is_flag=True,
    help="Enable shutdown and reload via HTTP request.",
)
@click.option(
    "--web.enable-admin-api",
    "enable_admin_api",
    is_flag=True,
    help="Enable API endpoints for admin control actions.",
)
@click.option(
    "--web.enable-remote-write-receiver",
    "enable_rw",
    is_flag=True,
    help="Enable API endpoint accepting remote write requests (POST /api/v1/write).",
)
@click.option(
    "--shard",
    "shard",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="This server's shard number, from 0 (with --total-shards).",
)
@click.option(
    "--total-shards",
    "total_shards",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many servers share the scrape targets; each scrapes its share.",
)
@click.option(
    "--shard-mode",
    "shard_mode",
    type=click.Choice(["hashmod", "vertical"]),
    default="hashmod",
    show_default=True,
    help="hashmod: targets by hashmod of __address__; vertical: whole jobs.",
)
@click.option(
    "--scaling.config-file",
    "scaling_config_file",
    default=None,
    metavar="FILE",
    help="Serves the KEDA metrics-api and HPA external-metrics endpoints for the "
    "queries in FILE (YAML: metrics: {name: query}).",
)
@click.option(
    "--query.timeout",
    "query_timeout",
    type=DURATION,
    default="2m",
    show_default=True,
    help="Maximum time a query may take before being aborted.",
)
@click.option(
    "--query.max-samples",
    "max_samples",
    type=int,
    default=50_000_000,
    show_default=True,
    help="Maximum number of samples a single query can load.",
)
@click.option(
    "--query.lookback-delta",
    "lookback",
    type=DURATION,
    default="5m",
    show_default=True,
    help="How far back to look for a sample of a series.",
)
@click.option(
    "--query.max-concurrency",
    "max_concurrency",
    type=int,
    default=20,
    show_default=True,
    help="Maximum number of queries executed concurrently.",
)
@click.option(
    "--log.level",
    "log_level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warn", "error"]),
    help="Only log messages with the given severity or above.",
)
def server(
    config_file: str,
    tsdb_path: str,
    retention_time: int | None,
    retention_size: int,
    listen: tuple[str, ...],
    web_config_file: str,
    external_url: str,
    dashboards_dir: str | None,
    enable_lifecycle: bool,
    enable_admin_api: bool,
    enable_rw: bool,
    shard: int,
    total_shards: int,
    shard_mode: str,
    scaling_config_file: str | None,
    query_timeout: int,
    max_samples: int,
    lookback: int,
    max_concurrency: int,
    log_level: str,
) -> None:
    """Run a Prometheus-compatible server: HTTP API v1, PromQL, rules and
    alerting, remote write/read, sharding, federation."""
    from lab.server.app import PromlabServer, ServerError, ServerOptions, format_duration
    from lab.server.ui import default_dashboards_dir

    logging.basicConfig(
        level=logging.WARNING if log_level == "warn" else log_level.upper(),
        format="ts=%(asctime)s level=%(levelname)s caller=%(name)s msg=%(message)r",
    )
    retention_ms = (
        retention_time if retention_time is not None else (0 if retention_size else 15 * 86_400_000)
    )
    if shard >= total_shards:
        raise click.BadParameter(
            f"must be in [0, {total_shards - 1}] for --total-shards={total_shards}",
            param_hint="--shard",
        )
    flags = {
        "config.file": config_file,
        "storage.tsdb.path": tsdb_path,
        "storage.tsdb.retention.time": format_duration(retention_time or 0),
        "storage.tsdb.retention.size": f"{retention_size}B",
        "web.listen-address": ",".join(listen),
        "web.config.file": web_config_file,
        "web.external-url": external_url,
        "web.dashboards-dir": dashboards_dir or "",
        "web.enable-lifecycle": str(enable_lifecycle).lower(),
        "web.enable-admin-api": str(enable_admin_api).lower(),
        "web.enable-remote-write-receiver": str(enable_rw).lower(),
        "shard": str(shard),
        "total-shards": str(total_shards),
        "shard-mode": shard_mode,
        "scaling.config-file": scaling_config_file or "",
        "query.timeout": format_duration(query_timeout),
        "query.max-samples": str(max_samples),
        "query.lookback-delta": format_duration(lookback),
        "query.max-concurrency": str(max_concurrency),
        "log.level": log_level,
    }
    options = ServerOptions(
        config_file=config_file,
        storage_path=tsdb_path,
        retention_time_ms=retention_ms,
        retention_size_bytes=retention_size,
        listen_addresses=listen,
        web_config_file=web_config_file,
        external_url=external_url,
        dashboards_dir=dashboards_dir if dashboards_dir is not None else default_dashboards_dir(),
        enable_lifecycle=enable_lifecycle,
        enable_admin_api=enable_admin_api,
        enable_remote_write_receiver=enable_rw,
        shard=shard,
        total_shards=total_shards,
        shard_mode="horizontal" if shard_mode == "hashmod" else shard_mode,
        scaling_config_file=scaling_config_file,
        query_timeout_ms=query_timeout,
        query_max_samples=max_samples,
        query_lookback_delta_ms=lookback,
        query_max_concurrency=max_concurrency,
        flags=flags,
    )

    async def main() -> None:
        await PromlabServer(options).run()

    try:
        asyncio.run(main())
    except ServerError as exc:
        raise click.ClickException(str(exc)) from None
