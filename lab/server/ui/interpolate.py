"""Grafana's template variables in PromQL, and the query interval it picks.

``interpolate(expr, values, builtins)`` replaces ``$name``, ``${name}``,
``${name:format}`` and the legacy ``[[name]]`` the way Grafana's Prometheus
data source does: a single value goes in as is (with ``\\`` and ``'``
escaped), several values (or "All") become a regex alternation ``(a|b)`` with
regex metacharacters escaped, since dashboards use them after ``=~``. Names
that are not variables are left alone, so a ``$`` in a regex survives.

``query_window(...)`` turns a dashboard time range and a panel width into the
(start, end, step) of a range query and the built-in variables
(``$__interval``, ``$__rate_interval``, ``$__range`` ...), with Grafana's
rules: one point per pixel, rounded to a "nice" step, never below the
scrape interval; ``$__rate_interval`` is ``max($__interval + scrape, 4 x
scrape)``, and at least one minute so ``rate()`` always sees 4 samples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lab.server.api.params import prometheus_duration_ms

#: what "All" selects when a variable has no allValue and no known options
ALL_REGEX = ".*"
MIN_RATE_INTERVAL_MS = 60_000
#: Prometheus refuses range queries with more than 11,000 points per series
MAX_POINTS = 11_000

_VAR = re.compile(
    r"\$(?P<plain>\w+)"
    r"|\[\[(?P<legacy>\w+?)(?::(?P<legacy_fmt>\w+))?\]\]"
    r"|\$\{(?P<braced>\w+)(?::(?P<fmt>[^}]+))?\}"
)
_REGEX_META = re.compile(r"[\\^$*+?.()|{}\[\]]")
_NICE_MS = (
    1, 10, 20, 50, 100, 200, 500,
    1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000,
    60_000, 120_000, 300_000, 600_000, 900_000, 1_200_000, 1_800_000,
    3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
    604_800_000, 2_592_000_000, 31_536_000_000,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Selection:
    """A variable's selected values; ``all`` when "All" is selected, in which
    case ``values`` are every option and ``all_value`` Grafana's custom one."""

    values: tuple[str, ...]
    multi: bool = False
    all: bool = False
    all_value: str | None = None

    @property
    def as_list(self) -> bool:
        return self.multi or self.all or len(self.values) != 1


def regex_escape(value: str) -> str:
    """Escape regex metacharacters the way Grafana's Prometheus data source
    does for multi-value variables (PromQL strings need ``\\\\``)."""
    # A backslash in the value is a literal: an escaped backslash, inside a
    # PromQL string (so four); every other metacharacter gets one escape (two).
    return _REGEX_META.sub(
        lambda m: "\\\\\\\\" if m.group(0) == "\\" else "\\\\" + m.group(0), value
    )


def _format(sel: Selection, fmt: str | None) -> str:
    if sel.all and sel.all_value is not None and fmt in (None, "regex", "raw"):
        return sel.all_value  # a custom all value goes in verbatim
    values = list(sel.values)
    if sel.all and not values:
        return ALL_REGEX
    if fmt == "raw" or fmt == "text":
        return ",".join(values) if fmt == "raw" else " + ".join(values)
    if fmt == "csv":
        return ",".join(values)
    if fmt == "pipe":
        return "|".join(values)
    if fmt == "json":
        return json.dumps(values)
    if fmt == "glob":
        return "{" + ",".join(values) + "}" if len(values) > 1 else "".join(values)
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "regex" or sel.as_list:
        escaped = [regex_escape(v) for v in values]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    return values[0].replace("\\", "\\\\").replace("'", "\\'")


def interpolate(
    text: str, values: Mapping[str, Selection], builtins: Mapping[str, str] | None = None
) -> str:
    """``text`` with every known variable replaced (unknown ones are kept)."""
    extra = builtins or {}

    def sub(m: re.Match[str]) -> str:
        name = m.group("plain") or m.group("legacy") or m.group("braced")
        fmt = m.group("fmt") or m.group("legacy_fmt")
        if name in extra:
            return extra[name]
        sel = values.get(name)
        if sel is None:
            return m.group(0)
        return _format(sel, fmt)

    return _VAR.sub(sub, text)


def format_interval(ms: int) -> str:
    """Grafana's interval text: ``15s``, ``1m``, ``2h``, ``500ms``."""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if ms >= size and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def parse_interval(text: str) -> int | None:
    """A panel/target ``interval`` (``30s``, ``>1m``) in ms; None if unset or bad."""
    text = text.strip().lstrip(">")
    if not text or "$" in text:
        return None
    return prometheus_duration_ms(text)


def nice_step(ms: float) -> int:
    for nice in _NICE_MS:
        if nice >= ms:
            return nice
    return _NICE_MS[-1]


@dataclass(frozen=True, slots=True)
class QueryWindow:
    start_ms: int
    end_ms: int
    step_ms: int
    builtins: Mapping[str, str]


def query_window(
    from_ms: int,
    to_ms: int,
    *,
    scrape_interval_ms: int,
    max_data_points: int = 600,
    min_interval: str = "",
) -> QueryWindow:
    """The range query Grafana would send for a panel ``max_data_points`` wide."""
    to_ms = max(to_ms, from_ms + 1)
    span = to_ms - from_ms
    minimum = parse_interval(min_interval) or scrape_interval_ms
    step = max(nice_step(span / max(max_data_points, 1)), minimum, 1)
    while span // step > MAX_POINTS:
        step = nice_step(step + 1)
    rate = max(step + scrape_interval_ms, 4 * scrape_interval_ms, MIN_RATE_INTERVAL_MS)
    builtins = {
        "__interval": format_interval(step),
        "__interval_ms": str(step),
        "__rate_interval": format_interval(rate),
        "__rate_interval_ms": str(rate),
        "__range": f"{span // 1000}s",
        "__range_s": str(span // 1000),
        "__range_ms": str(span),
        "__from": str(from_ms),
        "__to": str(to_ms),
    }
    # Aligned to the step, as Grafana does, so refreshes reuse the same points.
    start = from_ms - from_ms % step
    end = to_ms - to_ms % step
    return QueryWindow(start, max(end, start), step, builtins)


_RELATIVE = re.compile(
    r"now(?:(?P<sign>[-+])(?P<n>\d+)(?P<unit>ms|s|m|h|d|w|M|y))?(?:/(?P<round>[smhdwMy]))?"
)
_UNIT_MS = {
    "ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
    "w": 604_800_000, "M": 30 * 86_400_000, "y": 365 * 86_400_000,
}  # fmt: skip


def parse_time(text: str, now_ms: int) -> int | None:
    """Grafana time-range text: ``now``, ``now-6h``, ``now-1d/d``, epoch ms
    or an ISO date; None if it cannot be read."""
    text = text.strip()
    m = _RELATIVE.fullmatch(text)
    if m:
        t = now_ms
        if m.group("n"):
            delta = int(m.group("n")) * _UNIT_MS[m.group("unit")]
            t = t - delta if m.group("sign") == "-" else t + delta
        if m.group("round"):
            size = _UNIT_MS[m.group("round")]
            t -= t % size
        return t
    if text.lstrip("-").isdigit():
        return int(text)
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def legend(fmt: str, labels: Mapping[str, str], ref: str = "") -> str:
    """A series' name from ``legendFormat`` (``{{instance}}``); without one,
    the metric and its labels, as Grafana's "auto"."""
    if fmt and fmt != "__auto":
        return re.sub(
            r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt
        )
    name = labels.get("__name__", "")
    rest = [f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__"]
    if not rest:
        return name or ref or "{}"
    return name + "{" + ", ".join(rest) + "}"


def selections_to_query(selections: Mapping[str, Selection]) -> Sequence[tuple[str, str]]:
    """``var-name=value`` pairs, as Grafana puts them in its URLs."""
    out: list[tuple[str, str]] = []
    for name, sel in selections.items():
        if sel.all:
            out.append((f"var-{name}", "$__all"))
        else:
            out.extend((f"var-{name}", v) for v in sel.values)
    return out
