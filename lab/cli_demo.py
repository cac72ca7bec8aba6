"""``promlab demo``: see lab/demo.py for what it shows."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--instances", default=10, show_default=True, help="Simulated instances.")
@click.option(
    "--conformance/--no-conformance",
    default=True,
    show_default=True,
    help="Also run Prometheus's PromQL test corpus through the engine.",
)
def demo(instances: int, conformance: bool) -> None:
    """Replay a synthetic 6-hour incident and query it with PromQL."""
    from lab.demo import run

    run(click.echo, instances=instances, conformance=conformance)
