"""The cross-artifact check: rules and dashboards against what is produced.

Two findings, both about content drifting apart:

* ``unproduced``: a rule or a dashboard (panel or variable) selects a metric
  that no exporter of ours, no recording rule and no scenario produces: a
  typo, a renamed family, or a dashboard for data the lab never has. A
  ``__name__`` regex is expanded against the produced names and must match
  one; a selector with only negative ``__name__`` matchers names nothing and
  is not checked.
* ``unused-recording-rule``: a recording rule no other rule and no dashboard
  selects: cost in every evaluation for nothing.

Files the rule loader or the PromQL parser reject are ``unreadable``
(``promlab rules check`` / ``promlab dashboards check`` say why in detail).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.check.produced import SYNTHETIC_SOURCE, Inventory
from lab.check.uses import RuleUses, UnparsableError, Use, Where, dashboard_uses, rule_uses
from lab.server.rules.errors import RulesError

RECORDING = "recording rules"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # "unproduced" | "unused-recording-rule" | "unreadable"
    where: Where
    metric: str
    message: str

    def __str__(self) -> str:
        if self.message.startswith(f"{self.where}:"):  # the rule loader names the file
            return self.message
        return f"{self.where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        w = self.where
        out: dict[str, Any] = {"kind": self.kind, "file": w.file, "metric": self.metric,
                               "message": self.message}
        if w.line is not None:
            out.update(line=w.line, rule=w.rule)
        if w.dashboard is not None:
            out.update(dashboard=w.dashboard, panel=w.panel)
        return out


@dataclass(slots=True)
class Report:
    inventory: Inventory
    rule_files: list[Path]
    dashboard_files: list[Path]
    rules: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: every produced metric name some rule or dashboard selects -> its sources
    used: dict[str, list[str]] = field(default_factory=dict)
    #: recording rule -> where it is used
    recording_users: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def used_by_source(self) -> dict[str, int]:
        """Used names counted under their first source (exporters first)."""
        counts = dict.fromkeys(self.inventory.sources, 0)
        for origins in self.used.values():
            counts[origins[0]] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rule_files": [str(p) for p in self.rule_files],
            "dashboards": [str(p) for p in self.dashboard_files],
            "problems": [p.to_json() for p in self.problems],
            "used": dict(sorted(self.used.items())),
            "recording_rules": dict(sorted(self.recording_users.items())),
            "produced": {src: len(names) for src, names in self.inventory.sources.items()},
        }

    def text(self) -> str:
        lines = [str(p) for p in self.problems]
        by_source = ", ".join(f"{src} {n}" for src, n in self.used_by_source().items() if n)
        unused = sum(not users for users in self.recording_users.values())
        lines += [
            f"rules: {self.rules} in {len(self.rule_files)} file(s); dashboards: "
            f"{len(self.dashboard_files)}",
            f"metrics used: {len(self.used)} produced" + (f" ({by_source})" if by_source else ""),
            f"recording rules used: {len(self.recording_users) - unused}/"
            f"{len(self.recording_users)}",
            "ok" if self.ok else f"FAILED: {len(self.problems)} problem(s)",
        ]
        return "\n".join(lines)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def rule_files(root: Path) -> list[Path]:
    """``<pack>/<pack>.rules.yml`` (rulepacks' layout) and ``*.rules.yml``."""
    return sorted({*root.glob("*.rules.yml"), *root.glob("*/*.rules.yml")})


def check(rules_dir: Path | None, dashboards_dir: Path | None,
          inventory: Inventory) -> Report:
    rfiles = rule_files(rules_dir) if rules_dir is not None else []
    dfiles = sorted(dashboards_dir.glob("*.json")) if dashboards_dir is not None else []
    report = Report(inventory, rfiles, dfiles)
    rules: list[RuleUses] = []
    for path in rfiles:
        try:
            rules += rule_uses(path)
        except RulesError as exc:
            report.problems.append(Problem("unreadable", Where(str(path)), "", str(exc)))
    boards: list[Use] = []
    for path in dfiles:
        try:
            boards += dashboard_uses(path)
        except (UnparsableError, ValueError) as exc:
            report.problems.append(Problem("unreadable", Where(str(path)), "", str(exc)))
    report.rules = len(rules)
    recorded = frozenset(r.rule.name for r in rules if not r.rule.is_alert)
    # After the exporters: a name both an exporter and a rule produce is the
    # exporter's; before the scenarios, which only stand in for real targets.
    inv = inventory.with_source(RECORDING, recorded, before=SYNTHETIC_SOURCE)
    report.inventory = inv
    _check_produced([u for r in rules for u in r.uses] + boards, inv, report)
    _check_recording_used(rules, boards, report)
    return report


def _check_produced(uses: Iterable[Use], inv: Inventory, report: Report) -> None:
    names = inv.names
    for use in uses:
        if not use.checkable:
            continue
        exact = use.name
        hits = ([exact] if exact in names else []) if exact is not None else sorted(
            n for n in names if use.selects(n))
        if not hits:
            what = f"metric {exact}" if exact is not None else f"no metric matches {use.describe()}"
            report.problems.append(Problem(
                "unproduced", use.where, use.describe(),
                f"{what}: produced by no exporter, recording rule or scenario"
                if exact is not None else f"{what} among the produced metrics"))
        for n in hits:
            report.used[n] = inv.origins(n)


def _check_recording_used(rules: list[RuleUses], boards: list[Use], report: Report) -> None:
    for r in rules:
        if r.rule.is_alert:
            continue
        users = [str(u.where) for other in rules if other is not r for u in other.uses
                 if u.checkable and u.selects(r.rule.name)]
        users += [str(u.where) for u in boards if u.checkable and u.selects(r.rule.name)]
        report.recording_users[r.rule.name] = users
        if not users:
            report.problems.append(Problem(
                "unused-recording-rule", r.where, r.rule.name,
                f"recording rule {r.rule.name} is used by no other rule and no dashboard"))
