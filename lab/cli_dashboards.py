"""``promlab dashboards check DIR``: lint Grafana dashboards and, under a
scenario, check that every panel returns data. ``generate`` rewrites the
committed dashboards from lab/dashboards/boards.py."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def dashboards() -> None:
    """Grafana dashboards."""


@dashboards.command("check")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--scenario", "scenario_name", default=None,
              help="Also evaluate every panel over this scenario's replay (must return data).")
@click.option("--rulepacks", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Rule packs whose recording rules the panels read "
              "(default: ./rulepacks when it exists).")
def check(directory: Path, scenario_name: str | None, rulepacks: Path | None) -> None:
    """Exit 1 if any finding."""
    from lab.dashboards.check import check_data, lint, load_dir

    boards = load_dir(directory)
    if not boards:
        raise click.UsageError(f"no *.json dashboards in {directory}")
    findings = lint(boards)
    if scenario_name:
        from lab.dashboards.replay import scenario_source
        from lab.scenarios.library import discover

        library = discover()
        if scenario_name not in library:
            raise click.BadParameter(f"no scenario {scenario_name!r}", param_hint="--scenario")
        if rulepacks is None and Path("rulepacks").is_dir():
            rulepacks = Path("rulepacks")
        findings += check_data(boards, scenario_source(library[scenario_name], rulepacks))
    for f in findings:
        click.echo(str(f))
    panels = sum(len(b.get("panels", [])) for b in boards.values())
    click.echo(f"{len(boards)} dashboards, {panels} panels, {len(findings)} findings")
    if findings:
        raise SystemExit(1)


@dashboards.command("generate")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path),
                default=Path("dashboards"))
def generate(directory: Path) -> None:
    """Write the generated dashboards into DIRECTORY."""
    from lab.dashboards.render import main

    main([str(directory)])
