"""``promlab pushgateway``: upstream's flags, then the server (thin)."""

from __future__ import annotations

import asyncio
import logging
from importlib.metadata import PackageNotFoundError, version

import click

from exporters.common.web import (
    DURATION,
    Server,
    WebError,
    WebFlags,
    load_web_config,
    serve_until_stopped,
    web_flags,
)
from exporters.pushgateway.api import Options, Pushgateway
from exporters.pushgateway.errors import PushgatewayError


def _version() -> str:
    try:
        return version("promlab")
    except PackageNotFoundError:
        return "0.0.0"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@web_flags(default_listen=":9091", max_requests=None)
@click.option("--web.external-url", "external_url", default="", help="External URL.")
@click.option("--web.route-prefix", "route_prefix", default="", help="Prefix for all routes.")
@click.option(
    "--web.enable-lifecycle/--no-web.enable-lifecycle",
    "enable_lifecycle",
    default=False,
    help="Enable shutdown via HTTP request (/-/quit).",
)
@click.option(
    "--web.enable-admin-api/--no-web.enable-admin-api",
    "enable_admin_api",
    default=False,
    help="Enable the admin API (PUT /api/v1/admin/wipe).",
)
@click.option(
    "--persistence.file",
    "persistence_file",
    default="",
    help="File to persist metrics to; empty: in memory only.",
)
@click.option(
    "--persistence.interval",
    "persistence_interval",
    type=DURATION,
    default="5m",
    show_default=True,
    help="How often the log is compacted into the snapshot "
    "(every acknowledged push is fsync'd to the log at once).",
)
@click.option(
    "--push.disable-consistency-check/--no-push.disable-consistency-check",
    "disable_check",
    default=False,
    help="Do not check pushes for consistency (answers 202).",
)
@click.option(
    "--push.group-ttl",
    "group_ttl",
    type=DURATION,
    default="0",
    help="Delete groups not pushed to for this long (promlab only; 0 = never).",
)
@click.option(
    "--log.level",
    "log_level",
    default="info",
    type=click.Choice(["debug", "info", "warn", "error"]),
)
@click.option("--log.format", "log_format", default="logfmt", type=click.Choice(["logfmt", "json"]))
def pushgateway(
    web: WebFlags,
    external_url: str,
    route_prefix: str,
    enable_lifecycle: bool,
    enable_admin_api: bool,
    persistence_file: str,
    persistence_interval: float,
    disable_check: bool,
    group_ttl: float,
    log_level: str,
    log_format: str,
) -> None:
    """A Prometheus Pushgateway: push acceptor for ephemeral and batch jobs."""
    level = {"warn": "WARNING"}.get(log_level, log_level.upper())
    fmt = (
        '{"ts":"%(asctime)s","level":"%(levelname)s","msg":"%(message)s"}'
        if log_format == "json"
        else "ts=%(asctime)s level=%(levelname)s msg=%(message)r"
    )
    logging.basicConfig(level=level, format=fmt)
    if not route_prefix and external_url:
        from urllib.parse import urlparse

        route_prefix = urlparse(external_url).path
    flags = {
        "web.listen-address": ",".join(web.listen_addresses),
        "web.telemetry-path": web.telemetry_path,
        "web.config.file": web.config_file or "",
        "web.external-url": external_url,
        "web.route-prefix": route_prefix,
        "web.enable-lifecycle": str(enable_lifecycle).lower(),
        "web.enable-admin-api": str(enable_admin_api).lower(),
        "persistence.file": persistence_file,
        "persistence.interval": f"{persistence_interval:g}s",
        "push.disable-consistency-check": str(disable_check).lower(),
        "push.group-ttl": f"{group_ttl:g}s",
        "log.level": log_level,
        "log.format": log_format,
    }
    options = Options(
        telemetry_path=web.telemetry_path,
        route_prefix=route_prefix,
        enable_lifecycle=enable_lifecycle,
        enable_admin_api=enable_admin_api,
        persistence_file=persistence_file,
        persistence_interval=persistence_interval,
        check=not disable_check,
        group_ttl=group_ttl,
        version=_version(),
        flags=flags,
    )
    try:
        asyncio.run(_run(web, options))
    except (WebError, PushgatewayError) as exc:
        raise click.ClickException(str(exc)) from None


async def _run(web: WebFlags, options: Options) -> None:
    config = load_web_config(web.config_file)
    gateway = Pushgateway(options)
    gateway.load()
    server = Server(gateway.app(config), web.listen_addresses, config)

    async def started(urls: list[str]) -> None:
        await gateway.start_background()
        logging.getLogger("promlab.pushgateway").info("listening on %s", ", ".join(urls))

    try:
        await serve_until_stopped(server, stop=gateway.stop, on_started=started)
    finally:
        await gateway.shutdown()
