"""``promlab rules lint``: text, JSON or SARIF output; exit 1 when a finding
reaches ``--fail-on`` (default: bug), else 0."""

from __future__ import annotations

import json
import sys

from lab.server.rules.lint.findings import Finding, LintConfig, Severity
from lab.server.rules.lint.run import lint_file
from lab.server.rules.rulefile import duration_ms

_SARIF_LEVEL = {Severity.BUG: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def to_json(findings: list[Finding]) -> str:
    return json.dumps(
        [
            {"file": f.file, "line": f.line, "column": f.col, "check": f.check,
             "severity": f.severity.label, "rule": f.rule, "message": f.message}
            for f in findings
        ],
        indent=2,
    )  # fmt: skip


def to_sarif(findings: list[Finding]) -> str:
    checks = sorted({f.check for f in findings})
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "promlab rules lint", "informationUri":
                                "https://prometheus.io/docs/practices/rules/",
                                "rules": [{"id": c} for c in checks]}},
            "results": [{
                "ruleId": f.check,
                "ruleIndex": checks.index(f.check),
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": f.line, "startColumn": f.col}}}],
            } for f in findings],
        }],
    }  # fmt: skip
    return json.dumps(doc, indent=2)


def to_text(findings: list[Finding]) -> str:
    return "".join(
        f"{f.file}:{f.line}:{f.col}: {f.severity.label}: {f.message} [{f.check}]\n"
        for f in findings
    )


def run_lint(files: list[str], fmt: str, fail_on: str, scrape_interval: str) -> int:
    cfg = LintConfig(scrape_interval_ms=duration_ms(scrape_interval))
    findings: list[Finding] = []
    for f in files:
        try:
            findings.extend(lint_file(f, cfg))
        except OSError as exc:
            findings.append(Finding("rulefile/invalid", Severity.BUG, str(exc), f, 1))
    out = {"json": to_json, "sarif": to_sarif}.get(fmt, to_text)(findings)
    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    threshold = Severity[fail_on.upper()]
    return 1 if any(f.severity >= threshold for f in findings) else 0
