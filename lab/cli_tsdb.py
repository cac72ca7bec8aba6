"""``promlab tsdb``: backfill blocks from OpenMetrics and show cardinality.

``promlab tsdb import openmetrics FILE [DIR]`` is ``promtool tsdb
create-blocks-from openmetrics``; ``promlab tsdb stats DIR`` prints the
cardinality of a TSDB directory (blocks and WAL), as text or JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from lab.model.durations import parse_model_duration_ms
from lab.model.errors import DurationError


@click.group()
def tsdb() -> None:
    """Work with TSDB directories."""


@tsdb.group("import")
def import_() -> None:
    """Create blocks from other formats (backfill)."""


@import_.command("openmetrics")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("directory", metavar="DIR", default="data/", type=click.Path(path_type=Path))
@click.option(
    "--max-block-duration",
    default="2h",
    show_default=True,
    help="Block length (a duration: 2h, 90m, 1d); blocks are aligned to it.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or block table.")
def import_openmetrics_cmd(
    file: Path, directory: Path, max_block_duration: str, quiet: bool
) -> None:
    """Read FILE (OpenMetrics with timestamps) and write blocks into DIR.

    The whole file is checked first: on an error nothing is written."""
    from lab.server.tsdb.errors import TSDBError
    from lab.server.tsdb.importer import plan_blocks, write_blocks

    duration = _duration_ms(max_block_duration)
    try:
        blocks = plan_blocks(file.read_bytes(), duration)
        total = sum(s.timestamps.size for b in blocks for s in b)
        with click.progressbar(
            length=total,
            label="writing blocks",
            hidden=quiet,
            file=sys.stderr,
        ) as bar:
            metas = write_blocks(blocks, directory, progress=bar.update)
    except TSDBError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    if quiet:
        return
    click.echo(
        f"{'BLOCK ULID':<28}{'MIN TIME':>15}{'MAX TIME':>15}{'NUM SAMPLES':>13}"
        f"{'NUM CHUNKS':>12}{'NUM SERIES':>12}"
    )
    for m in metas:
        click.echo(
            f"{m.ulid:<28}{m.min_time:>15}{m.max_time:>15}{m.num_samples:>13}"
            f"{m.num_chunks:>12}{m.num_series:>12}"
        )


def _duration_ms(text: str) -> int:
    """A positive Prometheus duration (``2h``, ``90m``, ``1d``) in ms."""
    try:
        value = parse_model_duration_ms(text)
    except DurationError:
        value = 0
    if value > 0:
        return value
    raise click.BadParameter(f"not a duration: {text!r}", param_hint="--max-block-duration")


@tsdb.command("stats")
@click.argument(
    "directory", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--format", "fmt", type=click.Choice(["human", "json"]), default="human", show_default=True
)
@click.option("--limit", default=10, show_default=True, help="Entries per top list.")
def stats_cmd(directory: Path, fmt: str, limit: int) -> None:
    """Cardinality of the TSDB in DIR (blocks and head), like /api/v1/status/tsdb."""
    from lab.server.tsdb import DB, TSDBError

    try:
        with DB.open(directory, read_only=True) as db:
            stats = db.stats(limit=limit, include_blocks=True)
            blocks = db.blocks()
    except TSDBError as exc:
        raise click.ClickException(f"{directory}: {exc}") from None
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2))
        return
    head = stats["headStats"]
    assert isinstance(head, dict)
    click.echo(f"Blocks: {len(blocks)}")
    click.echo(f"Series: {head['numSeries']}")
    click.echo(f"Label pairs: {head['numLabelPairs']}")
    click.echo(f"Time range: {head['minTime']} .. {head['maxTime']}")
    titles = {
        "seriesCountByMetricName": "Highest cardinality metric names",
        "labelValueCountByLabelName": "Highest cardinality labels",
        "memoryInBytesByLabelName": "Label names with highest cumulative label value length",
        "seriesCountByLabelValuePair": "Most common label pairs",
    }
    for key, title in titles.items():
        click.echo(f"\n{title}:")
        entries = stats[key]
        assert isinstance(entries, list)
        for entry in entries:
            click.echo(f"{entry['value']:>10} {entry['name']}")
