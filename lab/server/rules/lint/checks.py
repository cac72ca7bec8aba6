"""The checks. Each takes one rule in context and yields findings; file-level
checks (duplicates, group interval) take the whole file. Messages say what is
wrong and why it matters, as pint's do."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lab.model.durations import format_model_duration_ms as model_duration
from lab.server.promql.parser.ast import (
    BinaryExpr,
    Call,
    Expr,
    MatrixSelector,
    NumberLiteral,
    ParenExpr,
    SubqueryExpr,
    VectorSelector,
)
from lab.server.promql.parser.parser import parse
from lab.server.rules.lint.findings import LintConfig, Severity
from lab.server.rules.lint.labels import output_labels
from lab.server.rules.rule import merged_labels
from lab.server.rules.rulefile import GroupSpec, RuleFile, RuleSpec, duration_ms
from lab.server.rules.unittest_vector import walk
from lab.server.rules.yamlpos import Pos

_COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_RATE_FUNCS = frozenset({"rate", "irate", "increase", "deriv", "delta", "idelta"})
_REGEX_META = re.compile(r"[.*+?()\[\]{}|^$\\]")
_LABEL_READ = re.compile(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)|index\s+\$labels\s+\"([^\"]+)\"")
_RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")
_WINDOW = re.compile(r"(?:burnrate|rate|ratio_rate|error_ratio)_?(\d+[smhdwy])$")


@dataclass(frozen=True)
class RuleCtx:
    rule: RuleSpec
    group: GroupSpec
    expr: Expr
    cfg: LintConfig


Problem = tuple[Severity, str, Pos]
RuleCheck = Callable[[RuleCtx], Iterator[Problem]]
FileCheck = Callable[[RuleFile, LintConfig], Iterator[tuple[Severity, str, Pos, str]]]


def _at(ctx: RuleCtx, field: str) -> Pos:
    return ctx.rule.field_pos.get(field, ctx.rule.pos)


def severity_label(ctx: RuleCtx) -> Iterator[Problem]:
    if not ctx.rule.is_alert:
        return
    labels = merged_labels(ctx.group.labels, ctx.rule.labels)
    sev = labels.get("severity")
    if sev is None:
        yield Severity.WARNING, "alert has no severity label", ctx.rule.pos
    elif sev not in ctx.cfg.severities:
        allowed = ", ".join(sorted(ctx.cfg.severities))
        yield (
            Severity.WARNING,
            f"severity {sev!r} is not one of {allowed}",
            _at(ctx, "labels.severity"),
        )


def annotation_fields(ctx: RuleCtx) -> Iterator[Problem]:
    if not ctx.rule.is_alert:
        return
    for name in ("summary", "description"):
        if not ctx.rule.annotations.get(name):
            yield Severity.WARNING, f"alert has no {name} annotation", ctx.rule.pos
    url = ctx.rule.annotations.get("runbook_url")
    if url is not None and "{{" not in url and not re.match(r"https?://", url):
        yield (
            Severity.INFO,
            "runbook_url is not an http(s) URL",
            _at(ctx, "annotations.runbook_url"),
        )


def for_duration(ctx: RuleCtx) -> Iterator[Problem]:
    if not ctx.rule.is_alert or "for" not in ctx.rule.field_pos:
        return
    f = ctx.rule.for_ms
    if f == 0:
        yield Severity.INFO, "for: 0s is the default; the field is redundant", _at(ctx, "for")
    elif f < 2 * ctx.cfg.scrape_interval_ms:
        yield (
            Severity.WARNING,
            f"for: {model_duration(f)} is shorter than two scrape intervals "
            f"({model_duration(2 * ctx.cfg.scrape_interval_ms)}): one missed or late scrape "
            "resets the alert",
            _at(ctx, "for"),
        )


def _has_condition(e: Expr) -> bool:
    for n in walk(e):
        if isinstance(n, BinaryExpr) and n.op in _COMPARISONS and not n.return_bool:
            return True
        if isinstance(n, Call) and n.func in ("absent", "absent_over_time"):
            return True
    return False


def comparison(ctx: RuleCtx) -> Iterator[Problem]:
    if ctx.rule.is_alert and not _has_condition(ctx.expr):
        yield (
            Severity.WARNING,
            "alert query has no comparison: every series it returns fires (always firing alert)",
            ctx.rule.expr_pos,
        )


def template(ctx: RuleCtx) -> Iterator[Problem]:
    if not ctx.rule.is_alert:
        return
    for name, text in ctx.rule.labels.items():
        if "$value" in text or ".Value" in text:
            yield (
                Severity.BUG,
                f"label {name!r} uses $value: every new value makes a new alert",
                _at(ctx, f"labels.{name}"),
            )
    available = output_labels(ctx.expr)
    if available is None:
        return
    static = set(merged_labels(ctx.group.labels, ctx.rule.labels))
    for kind, items in (("labels", ctx.rule.labels), ("annotations", ctx.rule.annotations)):
        for name, text in items.items():
            for m in _LABEL_READ.finditer(text):
                label = m.group(1) or m.group(2)
                if label not in available and label not in static:
                    kept = ", ".join(sorted(available)) or "none"
                    yield (
                        Severity.WARNING,
                        f"{kind[:-1]} {name!r} reads $labels.{label} but the query keeps only "
                        f"[{kept}]: it is always empty",
                        _at(ctx, f"{kind}.{name}"),
                    )


def _range_ms(e: MatrixSelector | SubqueryExpr) -> int | None:
    r = e.range
    return round(r.value * 1000) if isinstance(r, NumberLiteral) else None


def rate_window(ctx: RuleCtx) -> Iterator[Problem]:
    scrape = ctx.cfg.scrape_interval_ms
    for n in walk(ctx.expr):
        if not (isinstance(n, Call) and n.func in _RATE_FUNCS and n.args):
            continue
        arg = n.args[0]
        if not isinstance(arg, (MatrixSelector, SubqueryExpr)):
            continue
        window = _range_ms(arg)
        if window is None or window >= 4 * scrape:
            continue
        sev = Severity.BUG if window < 2 * scrape else Severity.WARNING
        yield (
            sev,
            f"{n.func}() over {model_duration(window)} sees fewer than 4 scrapes at a "
            f"{model_duration(scrape)} scrape interval: use at least {model_duration(4 * scrape)}",
            ctx.rule.expr_pos,
        )


def regexp(ctx: RuleCtx) -> Iterator[Problem]:
    for n in walk(ctx.expr):
        if isinstance(n, VectorSelector):
            for m in n.matchers:
                if m.type.value in ("=~", "!~") and not _REGEX_META.search(m.value):
                    op = "=" if m.type.value == "=~" else "!="
                    yield (
                        Severity.INFO,
                        f'{m.name}{m.type.value}"{m.value}" has no regex syntax: use {op}',
                        ctx.rule.expr_pos,
                    )


def record_name(ctx: RuleCtx) -> Iterator[Problem]:
    if ctx.rule.is_alert or _RECORD_NAME.match(ctx.rule.name):
        return
    parts = ctx.rule.name.split(":")
    sev = Severity.INFO if len(parts) == 2 and all(parts) else Severity.WARNING
    yield (
        sev,
        f"recording rule {ctx.rule.name!r} does not follow level:metric:operations",
        ctx.rule.pos,
    )


def _comparisons(e: Expr) -> Iterator[BinaryExpr]:
    while isinstance(e, ParenExpr):
        e = e.expr
    if isinstance(e, BinaryExpr):
        if e.op in ("and", "or"):
            yield from _comparisons(e.lhs)
            yield from _comparisons(e.rhs)
        elif e.op in _COMPARISONS:
            yield e


def _window_of(e: Expr) -> tuple[int, str] | None:
    """The window a burn-rate side measures over, and what it measures: a
    recorded ``...burnrate1h``/``...ratio_rate5m`` name, or the selectors of a
    raw ``rate(x[1h])`` ratio."""
    names: list[str] = []
    window: int | None = None
    for n in walk(e):
        if isinstance(n, VectorSelector) and n.name:
            m = _WINDOW.search(n.name)
            if m:
                return duration_ms(m.group(1)), n.name[: m.start(1)]
            names.append(n.name)
        if isinstance(n, MatrixSelector) and window is None:
            window = _range_ms(n)
    return (window, ",".join(sorted(names))) if window is not None else None


def _threshold(e: Expr) -> float | None:
    while isinstance(e, ParenExpr):
        e = e.expr
    if isinstance(e, NumberLiteral):
        return e.value
    if isinstance(e, BinaryExpr) and e.op == "*":
        a, b = _threshold(e.lhs), _threshold(e.rhs)
        if a is not None and b is not None:
            return a * b
    return None


def burn_rate(ctx: RuleCtx) -> Iterator[Problem]:
    """Multi-window burn-rate alerts: the short window should be about 1/12
    of the long one, both sides must use the same factor, ``for`` must not
    exceed the short window (SRE workbook)."""
    if not ctx.rule.is_alert:
        return
    e = ctx.expr
    while isinstance(e, ParenExpr):
        e = e.expr
    pairs = [e] if isinstance(e, BinaryExpr) and e.op == "and" else []
    if isinstance(e, BinaryExpr) and e.op == "or":
        pairs = [p for p in (e.lhs, e.rhs) if isinstance(p, BinaryExpr) and p.op == "and"]
    for pair in pairs:
        sides = list(_comparisons(pair))
        if len(sides) != 2:
            continue
        found = [_window_of(s.lhs) for s in sides]
        # a burn-rate pair measures the same thing over two windows
        if found[0] is None or found[1] is None or found[0][1] != found[1][1]:
            continue
        short, long = sorted((found[0][0], found[1][0]))
        if short == long:
            yield Severity.WARNING, "burn-rate pair uses the same window twice", ctx.rule.expr_pos
            continue
        ratio = long / short
        if not 6 <= ratio <= 24:
            yield (
                Severity.WARNING,
                f"burn-rate windows {model_duration(long)}/{model_duration(short)}: the short "
                "window should be about 1/12 of the long one",
                ctx.rule.expr_pos,
            )
        t = [_threshold(s.rhs) for s in sides]
        if (
            None not in t
            and t[0] is not None
            and t[1] is not None
            and abs(t[0] - t[1]) > 1e-9 * max(abs(t[0]), abs(t[1]))
        ):
            yield (
                Severity.BUG,
                f"burn-rate pair compares against different factors ({t[0]:g} vs {t[1]:g})",
                ctx.rule.expr_pos,
            )
        if ctx.rule.for_ms > short:
            yield (
                Severity.WARNING,
                f"for: {model_duration(ctx.rule.for_ms)} is longer than the short window "
                f"{model_duration(short)}: the alert resets slower than it should",
                _at(ctx, "for"),
            )


RULE_CHECKS: dict[str, RuleCheck] = {
    "alerts/severity": severity_label,
    "alerts/annotations": annotation_fields,
    "alerts/for": for_duration,
    "alerts/comparison": comparison,
    "alerts/template": template,
    "alerts/burnrate": burn_rate,
    "promql/rate": rate_window,
    "promql/regexp": regexp,
    "rule/name": record_name,
}


def duplicates(rf: RuleFile, cfg: LintConfig) -> Iterator[tuple[Severity, str, Pos, str]]:
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], RuleSpec] = {}
    for g in rf.groups:
        for r in g.rules:
            key = (r.name, tuple(sorted(merged_labels(g.labels, r.labels).items())))
            first = seen.get(key)
            if first is None:
                seen[key] = r
            else:
                yield (
                    Severity.WARNING,
                    f"duplicate rule {r.name!r} with the same labels "
                    f"(first at line {first.pos.line})",
                    r.pos,
                    r.name,
                )


def group_interval(rf: RuleFile, cfg: LintConfig) -> Iterator[tuple[Severity, str, Pos, str]]:
    for g in rf.groups:
        if g.interval_ms is not None and g.interval_ms > cfg.max_group_interval_ms:
            yield (
                Severity.WARNING,
                f"group interval {model_duration(g.interval_ms)} is longer than the 5m lookback: "
                "recorded series go stale between evaluations",
                g.pos,
                g.name,
            )


FILE_CHECKS: dict[str, FileCheck] = {
    "rule/duplicate": duplicates,
    "group/interval": group_interval,
}

__all__ = ["FILE_CHECKS", "RULE_CHECKS", "RuleCtx", "parse"]
