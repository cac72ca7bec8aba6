"""``promlab kube-state-metrics``: a kube-state-metrics compatible exporter.

Flags follow kube-state-metrics (``--port``, ``--telemetry-port``,
``--resources``, ``--metric-allowlist`` ...), so a KSM Deployment's args work.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import click

from exporters.kube_state.app import KubeStateExporter, discover_shard
from exporters.kube_state.client import make_api_client
from exporters.kube_state.config import Config
from exporters.kube_state.errors import KubeStateError
from exporters.kube_state.http import main_app, start_site, telemetry_app


@click.command("kube-state-metrics", context_settings={"show_default": True})
@click.option(
    "--kubeconfig",
    default=None,
    help="Kubeconfig file (default: in-cluster, then $KUBECONFIG / ~/.kube/config).",
)
@click.option(
    "--apiserver",
    default=None,
    help="The URL of the API server (overrides the kubeconfig's server).",
)
@click.option("--host", default="::", help="Host to expose metrics on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, help="Port to expose metrics on."
)
@click.option("--telemetry-host", default="::", help="Host to expose self-metrics on.")
@click.option(
    "--telemetry-port",
    type=click.IntRange(0, 65535),
    default=8081,
    help="Port to expose self-metrics on.",
)
@click.option(
    "--resources", default="", help="Comma-separated resources to expose (default: all supported)."
)
@click.option(
    "--namespaces", default="", help="Comma-separated namespaces to watch (default: all)."
)
@click.option("--namespaces-denylist", default="", help="Comma-separated namespaces to skip.")
@click.option(
    "--metric-allowlist",
    default="",
    help="Comma-separated metric names or regexes to expose (exclusive with --metric-denylist).",
)
@click.option(
    "--metric-denylist", default="", help="Comma-separated metric names or regexes to hide."
)
@click.option("--metric-opt-in-list", default="", help="Comma-separated opt-in families.")
@click.option(
    "--metric-labels-allowlist",
    default="",
    help="Kubernetes label keys per "
    "resource for kube_<resource>_labels, e.g. pods=[app,team],nodes=[*].",
)
@click.option(
    "--metric-annotations-allowlist",
    default="",
    help="Annotation keys per resource for kube_<resource>_annotations.",
)
@click.option(
    "--shard",
    type=click.IntRange(min=0),
    default=0,
    help="The shard (0-based) this instance serves.",
)
@click.option("--total-shards", type=click.IntRange(min=1), default=1, help="The number of shards.")
@click.option("--pod", default="", help="Auto-sharding: this pod's name (StatefulSet).")
@click.option("--pod-namespace", default="", help="Auto-sharding: this pod's namespace.")
@click.option(
    "--enable-gzip-encoding",
    is_flag=True,
    default=False,
    help="Gzip /metrics for clients that accept it.",
)
@click.option("-v", "--verbosity", "verbosity", type=int, default=0, help="Log verbosity.")
def kube_state_metrics(
    kubeconfig: str | None,
    apiserver: str | None,
    host: str,
    port: int,
    telemetry_host: str,
    telemetry_port: int,
    resources: str,
    namespaces: str,
    namespaces_denylist: str,
    metric_allowlist: str,
    metric_denylist: str,
    metric_opt_in_list: str,
    metric_labels_allowlist: str,
    metric_annotations_allowlist: str,
    shard: int,
    total_shards: int,
    pod: str,
    pod_namespace: str,
    enable_gzip_encoding: bool,
    verbosity: int,
) -> None:
    """Expose Kubernetes object state as Prometheus metrics (kube-state-metrics compatible)."""
    logging.basicConfig(
        level=logging.DEBUG if verbosity > 2 else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = Config.from_flags(
            resources=resources,
            namespaces=namespaces,
            namespaces_denylist=namespaces_denylist,
            metric_allowlist=metric_allowlist,
            metric_denylist=metric_denylist,
            metric_opt_in_list=metric_opt_in_list,
            metric_labels_allowlist=metric_labels_allowlist,
            metric_annotations_allowlist=metric_annotations_allowlist,
            shard=shard,
            total_shards=total_shards,
        )
        api_client = make_api_client(kubeconfig, apiserver)
        if pod or pod_namespace:
            if not (pod and pod_namespace):
                raise click.UsageError("--pod and --pod-namespace go together")
            config = Config(
                **{**config.__dict__, "sharding": discover_shard(api_client, pod, pod_namespace)}
            )
    except KubeStateError as err:
        raise click.ClickException(str(err)) from None
    exporter = KubeStateExporter(config, api_client)
    asyncio.run(_serve(exporter, host, port, telemetry_host, telemetry_port, enable_gzip_encoding))
    api_client.close()


async def _serve(
    exporter: KubeStateExporter,
    host: str,
    port: int,
    telemetry_host: str,
    telemetry_port: int,
    enable_gzip: bool,
) -> None:
    exporter.start()
    runners = []
    try:
        for app, h, p in (
            (main_app(exporter, enable_gzip=enable_gzip), host, port),
            (telemetry_app(exporter, enable_gzip=enable_gzip), telemetry_host, telemetry_port),
        ):
            try:
                runner, bound = await start_site(app, h, p)
            except OSError as exc:
                raise click.ClickException(f"cannot listen on {h}:{p}: {exc}") from None
            runners.append(runner)
            click.echo(f"listening on {h}:{bound}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        for runner in runners:
            await runner.cleanup()
        await asyncio.to_thread(exporter.stop)
