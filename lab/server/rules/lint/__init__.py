"""Offline rule linting: pint's offline checks plus rule-pack conventions.

    findings = lint_file("alerts.yml", LintConfig(scrape_interval_ms=60_000))
    for f in findings: print(f.file, f.line, f.severity, f.check, f.message)

Checks (each in ``checks.CHECKS``, each with its own data-driven cases):
``rulefile/invalid``, ``alerts/severity``, ``alerts/annotations``,
``alerts/for``, ``alerts/comparison``, ``alerts/template``, ``alerts/burnrate``,
``promql/rate``, ``promql/regexp``, ``rule/name``, ``rule/duplicate``,
``group/interval``. A ``# promlab: disable=<check>[,<check>]`` comment on a
rule's lines (or the line above it) silences those checks for that rule;
``# promlab: disable-file=<check>`` for the whole file.
"""

from lab.server.rules.lint.findings import Finding, LintConfig, Severity
from lab.server.rules.lint.run import lint_file, lint_text

__all__ = ["Finding", "LintConfig", "Severity", "lint_file", "lint_text"]
