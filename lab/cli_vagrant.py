"""``promlab vagrant up|status|ssh|destroy|validate`` (thin; the work is in
``lab.vagrant.driver``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lab.vagrant.driver import LAB_DIR, VagrantLab
from lab.vagrant.errors import VagrantError

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


@click.group(context_settings=CONTEXT)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=LAB_DIR,
    show_default=True,
    help="Directory holding the lab's Vagrantfile.",
)
@click.pass_context
def vagrant(ctx: click.Context, root: Path) -> None:
    """The multi-VM training lab (monitoring VM + 2 workers) through Vagrant."""
    ctx.obj = VagrantLab(root)


def _lab(ctx: click.Context) -> VagrantLab:
    lab = ctx.find_object(VagrantLab)
    assert lab is not None
    return lab


@vagrant.command(context_settings=CONTEXT)
@click.argument("machine", required=False)
@click.option("--provision/--no-provision", default=None, help="Force or skip provisioning.")
@click.pass_context
def up(ctx: click.Context, machine: str | None, provision: bool | None) -> None:
    """Create and boot the lab (or one MACHINE)."""
    try:
        _lab(ctx).up(machine, provision=provision)
    except VagrantError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("lab up: Grafana http://127.0.0.1:3000, promlab server http://127.0.0.1:9090")


@vagrant.command(context_settings=CONTEXT)
@click.argument("machine", required=False)
@click.pass_context
def status(ctx: click.Context, machine: str | None) -> None:
    """The state of every machine (or one MACHINE)."""
    try:
        machines = _lab(ctx).status(machine)
    except VagrantError as exc:
        raise click.ClickException(str(exc)) from None
    for m in machines:
        click.echo(f"{m.name:<12} {m.state:<12} {m.provider or ''}".rstrip())


@vagrant.command(context_settings=CONTEXT)
@click.argument("machine")
@click.option("-c", "--command", default=None, help="Run this and print its output.")
@click.pass_context
def ssh(ctx: click.Context, machine: str, command: str | None) -> None:
    """Open a shell on MACHINE (or run --command there)."""
    try:
        output = _lab(ctx).ssh(machine, command)
    except VagrantError as exc:
        raise click.ClickException(str(exc)) from None
    if output is not None:
        click.echo(output, nl=False)


@vagrant.command(context_settings=CONTEXT)
@click.argument("machine", required=False)
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def destroy(ctx: click.Context, machine: str | None, force: bool) -> None:
    """Delete the lab's VMs (or one MACHINE)."""
    if not force:
        click.confirm(f"Destroy {machine or 'every lab machine'}?", abort=True)
    try:
        _lab(ctx).destroy(machine)
    except VagrantError as exc:
        raise click.ClickException(str(exc)) from None


@vagrant.command(context_settings=CONTEXT)
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Check that the Vagrantfile loads (no VM needed)."""
    try:
        _lab(ctx).validate()
    except VagrantError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Vagrantfile validated successfully.")
