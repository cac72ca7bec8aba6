"""Rule packs on a faster clock: every duration divided by a time scale.

A live scenario replays hours of incident in minutes, so the rules that judge
it must run on the same compressed clock: ``scale_rule_file(src, dst, 60)``
writes a copy of a rule file in which group ``interval``s, ``for``,
``keep_firing_for``, range windows (``[5m]``, subqueries ``[1h:5m]``) and
``offset``s are divided by 60 (``for: 10m`` -> ``10s``, ``rate(x[5m])`` ->
``rate(x[5s])``); a group without an interval gets the scaled default.

What is *not* scaled, deliberately: thresholds and plain numbers
(``predict_linear(x[6h], 4 * 3600)`` keeps its horizon argument, ``time() -
push_time_seconds > 3600`` its 3600) — they are values, not windows; the live
scenarios do not use those rules. Durations are rewritten textually, outside
string literals, and the result is validated by the caller loading it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from lab.server.promql.parser.literals import parse_duration_ms

#: A Prometheus duration literal: one or more number+unit parts.
_DURATION: Final = re.compile(r"(?:\d+(?:ms|[smhdwy]))+")
_OFFSET: Final = re.compile(r"(offset\s+-?)((?:\d+(?:ms|[smhdwy]))+)", re.IGNORECASE)


def format_duration_ms(ms: int) -> str:
    """``5000`` -> ``5s``, ``90500`` -> ``1m30s500ms`` (Prometheus notation, no y/w)."""
    if ms == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000),
                       ("ms", 1)):
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)


def scale_ms(ms: int, factor: float) -> int:
    """``ms / factor``, at least 1 ms (a zero window would change the meaning)."""
    return max(1, round(ms / factor)) if ms > 0 else 0


def scale_duration(text: str, factor: float) -> str:
    return format_duration_ms(scale_ms(parse_duration_ms(text), factor))


def scale_expr(expr: str, factor: float) -> str:
    """Range windows, subquery steps and offsets of a PromQL expression, scaled."""
    out: list[str] = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":  # a string literal: copied verbatim
            j = i + 1
            while j < n and expr[j] != c:
                j += 2 if expr[j] == "\\" and c != "`" else 1
            out.append(expr[i : j + 1])
            i = j + 1
        elif c == "{":  # label matchers hold no durations (their values are strings)
            j = i
            while j < n and expr[j] != "}":
                if expr[j] in "\"'`":
                    q = expr[j]
                    j += 1
                    while j < n and expr[j] != q:
                        j += 2 if expr[j] == "\\" and q != "`" else 1
                j += 1
            out.append(expr[i : j + 1])
            i = j + 1
        elif c == "[":
            j = expr.index("]", i)
            out.append(_DURATION.sub(lambda m: scale_duration(m.group(0), factor), expr[i : j + 1]))
            i = j + 1
        else:
            m = _OFFSET.match(expr, i)
            if m is not None and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] == "_")):
                out.append(m.group(1) + scale_duration(m.group(2), factor))
                i = m.end()
            else:
                out.append(c)
                i += 1
    return "".join(out)


class _Dumper(yaml.SafeDumper):
    """Multi-line expressions as ``|`` blocks, so the copy reads like the pack."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def scale_rules_document(doc: Mapping[str, Any], factor: float, default_interval: str = "1m"
                         ) -> dict[str, Any]:
    groups = []
    for group in doc.get("groups") or []:
        g = dict(group)
        g["interval"] = scale_duration(str(g.get("interval") or default_interval), factor)
        rules = []
        for rule in g.get("rules") or []:
            r = dict(rule)
            r["expr"] = scale_expr(str(r["expr"]), factor)
            for key in ("for", "keep_firing_for"):
                if key in r:
                    r[key] = scale_duration(str(r[key]), factor)
            rules.append(r)
        g["rules"] = rules
        groups.append(g)
    return {"groups": groups}


def scale_rule_file(src: Path, dst: Path, factor: float, default_interval: str = "1m") -> Path:
    doc = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
    scaled = scale_rules_document(doc, factor, default_interval)
    header = f"# {src.name} with every duration divided by {factor:g} (promlab live scenario)\n"
    dst.write_text(header + yaml.dump(scaled, Dumper=_Dumper, sort_keys=False, width=1000),
                   encoding="utf-8")
    return dst
