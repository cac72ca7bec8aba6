"""Where rules and dashboards select metrics: one ``Use`` per vector selector.

Rules come from ``<pack>/<pack>.rules.yml`` files (the rule-file loader keeps
YAML positions, so a use is reported at its own line, block scalars
included). Dashboards are Grafana JSON: every panel target and every query
variable, with template variables substituted the way ``promlab dashboards
check`` does (``lab.dashboards.check``), so that ``$job`` or
``$__rate_interval`` never stop an expression from parsing.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.dashboards.check import iter_panels, substitute, template_values
from lab.model.matcher import Matcher, MatchType
from lab.server.promql.errors import PromQLError
from lab.server.promql.parser import ast
from lab.server.promql.parser.parser import parse
from lab.server.rules.rulefile import RuleSpec, load_rule_file

_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*[\w.]+\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)
_METRICS = re.compile(r"^\s*metrics\((.*)\)\s*$", re.S)
_LABEL_ONLY = re.compile(r"^\s*label_(values|names)\(\s*[\w.]*\s*\)\s*$")


@dataclass(frozen=True, slots=True)
class Where:
    file: str
    line: int | None = None  # rule files
    rule: str | None = None  # the rule's record/alert name
    dashboard: str | None = None  # the dashboard's title
    panel: str | None = None  # a panel's title, or "variable NAME"

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}: rule {self.rule}"
        if self.dashboard is not None:
            return f'{self.file}: dashboard "{self.dashboard}" / {self.panel}'
        return self.file


@dataclass(frozen=True, slots=True)
class Use:
    """A selector's ``__name__`` matchers (an exact name is one ``=``)."""

    matchers: tuple[Matcher, ...]
    where: Where

    @property
    def name(self) -> str | None:
        """The exact name, when the selector has one."""
        return next((m.value for m in self.matchers if m.type is MatchType.EQUAL), None)

    @property
    def checkable(self) -> bool:
        """Only negative ``__name__`` matchers (or none) select "anything else":
        there is no name to look for."""
        return any(m.type in (MatchType.EQUAL, MatchType.REGEX) for m in self.matchers)

    def selects(self, name: str) -> bool:
        return all(m.matches(name) for m in self.matchers)

    def describe(self) -> str:
        exact = self.name
        return exact if exact is not None else "{" + ", ".join(map(str, self.matchers)) + "}"


class UnparsableError(ValueError):
    """An expression that does not parse (``promlab rules check`` and
    ``promlab dashboards check`` say more)."""


def selectors(tree: ast.Expr) -> Iterator[ast.VectorSelector]:
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.VectorSelector):
            yield node
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            for f in dataclasses.fields(node):
                value = getattr(node, f.name)
                for child in value if isinstance(value, tuple) else (value,):
                    if isinstance(child, ast.Expr):
                        stack.append(child)


def _name_matchers(sel: ast.VectorSelector) -> tuple[Matcher, ...]:
    return tuple(m for m in sel.matchers if m.name == "__name__")


# --- rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleUses:
    """One rule and the selectors of its expression."""

    rule: RuleSpec
    where: Where
    uses: tuple[Use, ...]


def _expr_first_line(lines: list[str], rule: RuleSpec) -> int:
    """The line an expression's text starts on: a block scalar (``expr: |``)
    starts on the line after its indicator. (A folded ``>`` scalar lost its
    line breaks; its uses land on earlier lines of the same expression.)"""
    line = rule.expr_pos.line
    if 0 < line <= len(lines):
        rest = lines[line - 1][rule.expr_pos.col - 1:].lstrip()
        if rest[:1] in ("|", ">"):
            return line + 1
    return line


def rule_uses(path: Path) -> list[RuleUses]:
    """Raises ``RuleFileError`` for a file the rule loader rejects."""
    lines = path.read_text().splitlines()
    out: list[RuleUses] = []
    for group in load_rule_file(path).groups:
        for rule in group.rules:
            first = _expr_first_line(lines, rule)
            where = Where(str(path), rule.pos.line, rule.name)
            uses = []
            # The loader has validated the expression: it parses.
            for sel in selectors(parse(rule.expr)):
                line = first + rule.expr.count("\n", 0, sel.pos.start)
                uses.append(Use(_name_matchers(sel), dataclasses.replace(where, line=line)))
            out.append(RuleUses(rule, where, tuple(uses)))
    return out


# --- dashboards --------------------------------------------------------------------

Json = dict[str, Any]


def _variable_query(var: Json) -> str:
    q = var.get("query", "")
    return str(q.get("query", "")) if isinstance(q, dict) else str(q)


def _variable_uses(query: str, where: Where) -> Iterator[Use]:
    """The metrics a query variable reads (Grafana's Prometheus variable kinds)."""
    if not query.strip() or _LABEL_ONLY.match(query):
        return
    m = _METRICS.match(query)
    if m:
        yield Use((Matcher(MatchType.REGEX, "__name__", m.group(1).strip()),), where)
        return
    m = _LABEL_VALUES.match(query) or _QUERY_RESULT.match(query)
    yield from _expr_uses(m.group(1) if m else query, where)


def _expr_uses(text: str, where: Where) -> Iterator[Use]:
    try:
        tree = parse(text)
    except PromQLError as exc:
        raise UnparsableError(f"{where}: {exc}") from None
    for sel in selectors(tree):
        yield Use(_name_matchers(sel), where)


def dashboard_uses(path: Path) -> list[Use]:
    """Raises ``UnparsableError`` (or ``ValueError`` for bad JSON)."""
    board: Json = json.loads(path.read_text())
    title = str(board.get("title") or path.stem)
    values = template_values(board, data=False)
    out: list[Use] = []
    for var in board.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        where = Where(str(path), dashboard=title, panel=f"variable {var.get('name')}")
        text, _ = substitute(_variable_query(var), values)
        out.extend(_variable_uses(text, where))
    for panel in iter_panels(board):
        where = Where(str(path), dashboard=title, panel=f'panel "{panel.get("title", "")}"')
        for target in panel.get("targets", []):
            expr = str(target.get("expr") or "")
            if expr.strip():
                text, _ = substitute(expr, values)
                out.extend(_expr_uses(text, where))
    return out
