"""``promlab rules``: promtool's ``check rules`` and ``test rules``, and a linter.

promlab rules check FILE...            exit 0 ok, 1 errors, 3 lint findings with --lint-fatal
promlab rules test [--run RE] [--junit F] [--debug] TESTFILE...
promlab rules lint [--format text|json|sarif] [--fail-on warning|bug] FILE...
"""

from __future__ import annotations

import sys

import click


@click.group()
def rules() -> None:
    """Check, unit-test and lint Prometheus rule files (promtool-compatible)."""


@rules.command("check")
@click.option("--lint", "lint_mode", default="duplicate-rules",
              type=click.Choice(["all", "duplicate-rules", "none"]), show_default=True)  # fmt: skip
@click.option("--lint-fatal", is_flag=True, help="Exit 3 on lint findings.")
@click.option("--ignore-unknown-fields", is_flag=True)
@click.argument("files", nargs=-1, required=True)
def check(
    files: tuple[str, ...], lint_mode: str, lint_fatal: bool, ignore_unknown_fields: bool
) -> None:
    """Validate rule files as `promtool check rules`."""
    from lab.server.rules.check import check_files

    sys.exit(check_files(list(files), lint=lint_mode != "none", lint_fatal=lint_fatal,
                         ignore_unknown_fields=ignore_unknown_fields))  # fmt: skip


@rules.command("test")
@click.option("--run", "run", multiple=True, help="Only test groups whose name matches (regex).")
@click.option("--junit", "junit", type=click.Path(dir_okay=False), help="Write JUnit XML here.")
@click.option("--debug", is_flag=True, help="Timing, evaluation path and a data dump on stderr.")
@click.option("--ignore-unknown-fields", is_flag=True)
@click.option("--step-by-step", is_flag=True, help="Never vectorise rule evaluation.")
@click.option("--coverage/--no-coverage", default=True, help="Report rules no test exercises.")
@click.argument("files", nargs=-1, required=True)
def test(files: tuple[str, ...], run: tuple[str, ...], junit: str | None, debug: bool,
         ignore_unknown_fields: bool, step_by_step: bool, coverage: bool) -> None:  # fmt: skip
    """Run promtool-format rule unit tests (Prometheus 3.x semantics)."""
    from lab.server.rules.unittest_report import run_files
    from lab.server.rules.unittest_run import Options

    opts = Options(list(run), debug, ignore_unknown_fields, vectorise=not step_by_step)
    sys.exit(run_files(list(files), opts, junit=junit, coverage=coverage))


@rules.command("lint")
@click.option("--format", "fmt", default="text", type=click.Choice(["text", "json", "sarif"]))
@click.option("--fail-on", default="bug", type=click.Choice(["info", "warning", "bug"]),
              show_default=True)  # fmt: skip
@click.option("--scrape-interval", default="1m", show_default=True,
              help="Scrape interval the rules assume (for rate windows and `for`).")  # fmt: skip
@click.argument("files", nargs=-1, required=True)
def lint(files: tuple[str, ...], fmt: str, fail_on: str, scrape_interval: str) -> None:
    """Offline checks (pint's offline set + rule-pack conventions)."""
    from lab.server.rules.lint.cli import run_lint

    sys.exit(run_lint(list(files), fmt, fail_on, scrape_interval))
