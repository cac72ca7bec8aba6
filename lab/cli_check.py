"""``promlab check``: every metric a rule or a dashboard selects is produced by
our exporters, a recording rule or a scenario, and every recording rule is
used (the work is in ``lab.check``)."""

from __future__ import annotations

from pathlib import Path

import click

DirPath = click.Path(exists=True, file_okay=False, path_type=Path)


@click.command("check", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rules", "--rulepacks", "rules", type=DirPath, default=Path("rulepacks"),
              show_default=True,
              help="Rule files: <pack>/<pack>.rules.yml and *.rules.yml under it.")
@click.option("--dashboards", type=DirPath, default=Path("dashboards"), show_default=True,
              help="Grafana dashboards (*.json).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def check(rules: Path, dashboards: Path, fmt: str) -> None:
    """Cross-check rules and dashboards against what the lab produces.

    The produced metric names come from running the node exporter over its
    test fixture tree, kube-state over a simulated cluster, the pushgateway's
    store and every library scenario, plus the scrape loop's and rule
    manager's own series and the recording rules. Reports selectors of
    unproduced metrics (rule files as file:line, dashboards by title and
    panel) and recording rules nothing uses; exits 1 on any."""
    from lab.check.check import check as run_check
    from lab.check.produced import inventory

    # The fixture tree the node exporter is run over lives in the source tree.
    repo = Path(__file__).resolve().parent.parent
    report = run_check(rules, dashboards, inventory(repo))
    click.echo(report.dumps() if fmt == "json" else report.text())
    if not report.ok:
        raise SystemExit(1)
