"""``promlab cluster``: the simulated Kubernetes cluster.

``promlab cluster simulate --listen 127.0.0.1:PORT --kubeconfig-out FILE``
serves the Kubernetes REST API for a seeded cluster (``--nodes``, ``--pods``,
``--objects FILE``) until interrupted. Plain HTTP without authentication:
keep it on loopback.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from lab.cluster.control import Cluster
from lab.cluster.errors import ClusterError
from lab.cluster.kubeconfig import write_kubeconfig
from lab.cluster.seed import load_objects, populate
from lab.cluster.server import start
from lab.cluster.store import DEFAULT_HISTORY, Store


def _split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"expected HOST:PORT, got {listen!r}", param_hint="--listen")
    return host.strip("[]") or "127.0.0.1", int(port)


@click.group()
def cluster() -> None:
    """A simulated Kubernetes cluster (REST API server) for the lab."""


@cluster.command()
@click.option(
    "--listen",
    default="127.0.0.1:6443",
    show_default=True,
    help="HOST:PORT to serve the API on (port 0: any free port).",
)
@click.option(
    "--kubeconfig-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a kubeconfig for the server here.",
)
@click.option("--nodes", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--pods", type=click.IntRange(min=0), default=30, show_default=True)
@click.option(
    "--objects",
    "objects_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="YAML/JSON objects to create after seeding.",
)
@click.option(
    "--history",
    type=click.IntRange(min=1),
    default=DEFAULT_HISTORY,
    show_default=True,
    help="Watch events kept per resource (older: 410 Gone).",
)
@click.option(
    "--bookmark-interval",
    type=click.FloatRange(min=0.05),
    default=60.0,
    show_default=True,
    help="Seconds between watch BOOKMARK events.",
)
def simulate(
    listen: str,
    kubeconfig_out: str | None,
    nodes: int,
    pods: int,
    objects_file: str | None,
    history: int,
    bookmark_interval: float,
) -> None:
    """Serve the Kubernetes API for a simulated cluster until interrupted."""
    host, port = _split_listen(listen)
    sim = Cluster(Store(history=history))
    populate(sim, nodes=nodes, pods=pods)
    if objects_file:
        try:
            for obj in load_objects(objects_file):
                sim.create(obj)
        except ClusterError as err:
            raise click.ClickException(f"{objects_file}: {err.message}") from None
    asyncio.run(_serve(sim.store, host, port, kubeconfig_out, bookmark_interval))


async def _serve(
    store: Store, host: str, port: int, kubeconfig_out: str | None, bookmark_interval: float
) -> None:
    try:
        runner, bound = await start(store, host, port, bookmark_interval=bookmark_interval)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
    url = f"http://{host if ':' not in host else f'[{host}]'}:{bound}"
    if kubeconfig_out:
        write_kubeconfig(kubeconfig_out, url)
    click.echo(f"simulated cluster serving on {url}", file=sys.stdout)
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
