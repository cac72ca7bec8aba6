"""``promlab querier``: one Prometheus query API over several stores (shards,
HA replicas), like Thanos Query over remote-read endpoints::

    promlab querier --store http://shard-0:9090 --store http://shard-1:9090 \\
        --replica-label replica --web.listen-address :10902
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click


@click.command()
@click.option(
    "--store",
    "stores",
    multiple=True,
    required=True,
    help="Remote-read endpoint (or server base URL); repeat for each store.",
)
@click.option(
    "--replica-label",
    default="",
    help="Label naming HA replicas; series differing only in it are deduplicated.",
)
@click.option(
    "--query.partial-response/--no-query.partial-response",
    "partial_response",
    default=None,
    help="Answer from the stores that are up (a warning names each one down) instead "
    "of failing the query [default: on with --replica-label].",
)
@click.option(
    "--web.listen-address",
    "listen",
    multiple=True,
    default=[":10902"],
    show_default=True,
    help="Address to listen on (repeatable).",
)
@click.option(
    "--web.config.file",
    "web_config_file",
    default="",
    help="TLS / basic auth configuration (exporter-toolkit format).",
)
@click.option("--log.level", "log_level", default="info",
              type=click.Choice(["debug", "info", "warn", "error"]))  # fmt: skip
def querier(
    stores: tuple[str, ...], replica_label: str, partial_response: bool | None,
    listen: tuple[str, ...], web_config_file: str, log_level: str,
) -> None:  # fmt: skip
    """Serve the Prometheus query API over the merged STOREs."""
    logging.basicConfig(level=log_level.upper().replace("WARN", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    from exporters.common.web import Server, WebError, load_web_config, new_app
    from lab.server.sharding.global_querier import querier_app

    async def run() -> None:
        try:
            web_config = load_web_config(web_config_file or None)
            gq = querier_app(
                stores, replica_label=replica_label, partial_response=partial_response,
                base=new_app(web_config),
            )  # fmt: skip
            server = Server(gq.app, list(listen), web_config)
            urls = await server.start()
        except (WebError, OSError) as exc:
            raise click.ClickException(str(exc)) from None
        logging.getLogger("promlab.querier").info(
            "querier over %d store(s) ready on %s", len(stores), ", ".join(urls))  # fmt: skip
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()
            gq.close()

    asyncio.run(run())
