"""The ``promlab`` command. Thin: each group lives in its own module and is
imported only when invoked, so ``promlab --help`` stays fast."""

from __future__ import annotations

import importlib

import click

#: command name -> "module:attribute" of its click command or group.
#: Only commands that work end to end are listed here.
COMMANDS: dict[str, str] = {
    "demo": "lab.cli_demo:demo",
    "promql": "lab.cli_promql:promql",
    "server": "lab.cli_server:server",
    "tsdb": "lab.cli_tsdb:tsdb",
    "pushgateway": "lab.cli_pushgateway:pushgateway",
    "node-exporter": "lab.cli_node_exporter:node_exporter",
    "cluster": "lab.cli_cluster:cluster",
    "querier": "lab.cli_querier:querier",
    "kube-state-metrics": "lab.cli_kube_state:kube_state_metrics",
    "scenario": "lab.cli_live_scenario:scenario",
    "dashboards": "lab.cli_dashboards:dashboards",
    "demo-app": "lab.cli_live:demo_app",
    "load": "lab.cli_load:load",
    "stress": "lab.cli_live:stress",
    "vagrant": "lab.cli_vagrant:vagrant",
    "rules": "lab.cli_rules:rules",
    "check": "lab.cli_check:check",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="promlab", prog_name="promlab")
def main() -> None:
    """promlab: Prometheus exporters and a synthetic workload lab."""
