"""Run the checks over a rule file and apply suppression comments."""

from __future__ import annotations

import re
from pathlib import Path

from lab.server.promql.errors import ParseError
from lab.server.promql.parser.parser import parse
from lab.server.rules.errors import RuleFileError
from lab.server.rules.lint.checks import FILE_CHECKS, RULE_CHECKS, RuleCtx
from lab.server.rules.lint.findings import Finding, LintConfig, Severity
from lab.server.rules.rulefile import parse_rule_text

_DISABLE = re.compile(r"#\s*promlab:\s*disable(-file)?=([\w/,\s-]+)")
_LINE = re.compile(r"^(?:(\S+): )?(\d+):(\d+): (.*)$", re.S)


def _suppressions(text: str) -> tuple[dict[int, set[str]], set[str]]:
    per_line: dict[int, set[str]] = {}
    whole: set[str] = set()
    for i, line in enumerate(text.splitlines(), start=1):
        for m in _DISABLE.finditer(line):
            names = {n.strip() for n in m.group(2).split(",") if n.strip()}
            if m.group(1):
                whole |= names
            else:
                per_line.setdefault(i, set()).update(names)
    return per_line, whole


def lint_file(path: str | Path, cfg: LintConfig | None = None) -> list[Finding]:
    return lint_text(Path(path).read_text(encoding="utf-8"), str(path), cfg)


def lint_text(text: str, filename: str, cfg: LintConfig | None = None) -> list[Finding]:
    cfg = cfg or LintConfig()
    try:
        rf = parse_rule_text(text, filename)
    except RuleFileError as exc:
        out = []
        for p in exc.problems:
            body = p[len(filename) + 2 :] if p.startswith(filename + ": ") else p
            m = _LINE.match(body)
            line, col = (int(m.group(2)), int(m.group(3))) if m else (1, 1)
            out.append(Finding("rulefile/invalid", Severity.BUG, body, filename, line, col))
        return out
    per_line, whole = _suppressions(text)
    starts = sorted(r.pos.line for g in rf.groups for r in g.rules)
    findings: list[Finding] = []

    def suppressed(check: str, first: int, last: int) -> bool:
        if check in whole or "all" in whole:
            return True
        return any(
            check in per_line.get(n, ()) or "all" in per_line.get(n, ())
            for n in range(first - 1, last + 1)
        )

    def span(line: int) -> int:
        later = [s for s in starts if s > line]
        return (later[0] - 1) if later else line + 1000

    for g in rf.groups:
        for r in g.rules:
            try:
                expr = parse(r.expr)
            except ParseError:
                continue
            ctx = RuleCtx(r, g, expr, cfg)
            for name, check in RULE_CHECKS.items():
                if suppressed(name, r.pos.line, span(r.pos.line)):
                    continue
                for sev, msg, pos in check(ctx):
                    findings.append(Finding(name, sev, msg, filename, pos.line, pos.col, r.name))
    for name, fcheck in FILE_CHECKS.items():
        for sev, msg, pos, who in fcheck(rf, cfg):
            if not suppressed(name, pos.line, span(pos.line)):
                findings.append(Finding(name, sev, msg, filename, pos.line, pos.col, who))
    findings.sort(key=lambda f: (f.line, f.col, f.check))
    return findings
