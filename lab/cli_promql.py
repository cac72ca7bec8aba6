"""``promlab promql ...``: PromQL tooling. ``promql test FILE...`` runs promqltest
scripts (the format of upstream's PromQL test corpus) against the engine."""

from __future__ import annotations

import json

import click


@click.group()
def promql() -> None:
    """PromQL engine tools."""


@promql.command("test")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: failures and a summary; json: one JSON object per eval.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def test(fmt: str, files: tuple[str, ...]) -> None:
    """Run promqltest scripts; exit 1 if any eval fails."""
    from lab.server.promql.promqltest.runner import FAIL, PASS, run_file

    counts = {PASS: 0, FAIL: 0, "unsupported": 0}
    for path in files:
        for outcome in run_file(path):
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            if fmt == "json":
                click.echo(json.dumps(outcome.to_json(), ensure_ascii=False))
            elif outcome.status == FAIL:
                click.echo(f"FAIL {outcome.file}:{outcome.line}: {outcome.expr}")
                click.echo(f"     {outcome.message}")
    if fmt == "text":
        click.echo(f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts['unsupported']} skipped")
    if counts[FAIL]:
        raise SystemExit(1)
