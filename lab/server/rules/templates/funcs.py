"""The functions of Prometheus's rule templates (``template/template.go``) and
Go's text/template builtins, as Python callables over the Go value model of
``gofmt`` (str, int, float, bool, None, dict, list, structs)."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lab.model.re2 import translate
from lab.server.promql.parser.parser import LiteralError, parse_duration
from lab.server.rules.templates.gofmt import go_type, sprint, sprint_value, sprintf


class FuncError(Exception):
    """A template function failed; wrapped into ``error calling NAME: ...``."""


@dataclass
class QuerySample:
    """One element of a ``query`` result: ``.Labels`` and ``.Value``."""

    Labels: dict[str, str]
    Value: float
    go_type: str = field(default="*template.sample", repr=False)

    def go_string(self) -> str:
        return "{" + sprint_value(self.Labels) + " " + sprint_value(self.Value) + "}"


#: QueryFunc for templates: expr -> list of (labels dict incl. __name__, value)
TemplateQuery = Callable[[str], list[QuerySample]]

BUILTINS = frozenset(
    {"and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt",
     "le", "gt", "ge", "html", "js", "urlquery", "slice", "call"}
)  # fmt: skip
PROMETHEUS_FUNCS = frozenset(
    {"query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml",
     "match", "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel",
     "humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
     "humanizeTimestamp", "toTime", "toDuration", "pathPrefix", "externalURL",
     "parseDuration", "stripPort", "stripDomain", "now", "urlQueryEscape"}
)  # fmt: skip
FUNC_NAMES = BUILTINS | PROMETHEUS_FUNCS


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise FuncError(f"can't convert {go_type(v)} to float")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.replace("_", "")) if v.strip() else _bad_float(v)
        except ValueError:
            return _bad_float(v)
    raise FuncError(f"can't convert {go_type(v)} to float")


def _bad_float(v: str) -> float:
    raise FuncError(f'strconv.ParseFloat: parsing "{v}": invalid syntax')


def _g4(v: float) -> str:
    """Go ``%.4g``."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return format(v, ".4g")


def humanize(i: Any) -> str:
    v = _to_float(i)
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _g4(v) + prefix
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _g4(v) + prefix


def humanize1024(i: Any) -> str:
    v = _to_float(i)
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix, v = p, v / 1024
    return _g4(v) + prefix


def humanize_duration(i: Any) -> str:
    v = _to_float(i)
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return _g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        d = int(v)
        secs, mins, hours, days = d % 60, (d // 60) % 60, (d // 3600) % 24, d // 86400
        if days:
            return f"{sign}{days}d {hours}h {mins}m {secs}s"
        if hours:
            return f"{sign}{hours}h {mins}m {secs}s"
        if mins:
            return f"{sign}{mins}m {secs}s"
        return f"{sign}{_g4(v)}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_g4(v)}{prefix}s"


def humanize_percentage(i: Any) -> str:
    return _g4(_to_float(i) * 100) + "%"


def go_time_string(seconds: float) -> str:
    """Go's ``time.Time.String()`` in UTC at millisecond resolution (model.Time)."""
    ms = math.trunc(seconds * 1e9) // 1_000_000
    t = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    frac = f"{ms % 1000:03d}".rstrip("0")
    return t.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "") + " +0000 UTC"


def humanize_timestamp(i: Any) -> str:
    v = _to_float(i)
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if abs(v * 1e9) > 2**63:
        raise FuncError(
            f"{sprint_value(v)} cannot be represented as a nanoseconds timestamp "
            "since it overflows int64"
        )
    return go_time_string(v)


def _split_host_port(s: str) -> tuple[str, str] | None:
    if s.startswith("["):
        m = re.fullmatch(r"\[([^\]]*)\]:([^:]*)", s)
        return (m.group(1), m.group(2)) if m else None
    if s.count(":") != 1:
        return None
    host, port = s.split(":")
    return host, port


def strip_port(s: str) -> str:
    hp = _split_host_port(s)
    return hp[0] if hp else s


def _is_ip(s: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


def strip_domain(s: str) -> str:
    hp = _split_host_port(s)
    host, port = hp if hp else (s, "")
    if _is_ip(host):
        return s
    host = host.split(".")[0]
    if port:
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return host


def title(s: str) -> str:
    """Go's deprecated ``strings.Title``: upper-case letters that start words."""
    out: list[str] = []
    prev = " "
    for c in s:
        sep = not (prev.isalnum() or prev == "_") if prev.isascii() else prev.isspace()
        out.append(c.upper() if sep else c)
        prev = c
    return "".join(out)


def go_repl(repl: str) -> str:
    """A Go ``Regexp.Expand`` template (``$1``, ``${name}``, ``$$``) for Python."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(2)
        return f"\\g<{name}>"

    escaped = repl.replace("\\", "\\\\")
    return re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", sub, escaped)


def re_replace_all(pattern: str, repl: str, text: str) -> str:
    rx = re.compile(translate(pattern))
    template = go_repl(repl)

    def expand(m: re.Match[str]) -> str:
        try:
            return m.expand(template)
        except (IndexError, re.error):
            return ""  # Go expands an unknown group to ""

    return rx.sub(expand, text)


def match(pattern: str, s: str) -> bool:
    try:
        return re.search(translate(pattern), s) is not None
    except re.error as exc:
        raise FuncError(f"error parsing regexp: {exc}") from None


def _sort_key_label(label: str) -> Callable[[Any], str]:
    return lambda s: s.Labels.get(label, "") if isinstance(s, QuerySample) else ""


def table_link(expr: str) -> str:
    return "/graph?g0.expr=" + urllib.parse.quote_plus(expr) + "&g0.tab=1"


def graph_link(expr: str) -> str:
    return "/graph?g0.expr=" + urllib.parse.quote_plus(expr) + "&g0.tab=0"


@dataclass
class FuncContext:
    query: TemplateQuery | None = None
    external_url: str = ""
    now_s: float = 0.0


def _need_str(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise FuncError(f"wrong type for value; expected string; got {go_type(v)}")
    return v


def make_funcs(ctx: FuncContext) -> dict[str, Callable[..., Any]]:
    """Prometheus's template functions bound to one expansion (query, URL, time).
    Builtins with special evaluation (and, or, eq ...) live in the executor."""

    def query(q: Any) -> list[QuerySample]:
        if ctx.query is None:
            raise FuncError("query is not available in this context")
        return ctx.query(_need_str("query", q))

    def first(v: Any) -> QuerySample:
        if not isinstance(v, list) or not v:
            raise FuncError("first() called on vector with no elements")
        return v[0]  # type: ignore[no-any-return]

    def label(name: Any, s: Any) -> str:
        return s.Labels.get(name, "") if isinstance(s, QuerySample) else ""

    def value(s: Any) -> float:
        return s.Value if isinstance(s, QuerySample) else 0.0

    def strvalue(s: Any) -> str:
        return s.Labels.get("__value__", "") if isinstance(s, QuerySample) else ""

    def sort_by_label(name: Any, v: Any) -> list[Any]:
        return sorted(v, key=_sort_key_label(str(name))) if isinstance(v, list) else []

    def parse_dur(s: Any) -> float:
        try:
            return parse_duration(_need_str("parseDuration", s))
        except LiteralError as exc:
            raise FuncError(str(exc)) from None

    def to_time(i: Any) -> str:
        return go_time_string(_to_float(i))

    return {
        "query": query,
        "first": first,
        "label": label,
        "value": value,
        "strvalue": strvalue,
        "args": lambda *a: {f"arg{i}": x for i, x in enumerate(a)},
        "reReplaceAll": lambda p, r, t: re_replace_all(
            _need_str("", p), _need_str("", r), _need_str("", t)
        ),
        "safeHtml": lambda s: _need_str("safeHtml", s),
        "match": lambda p, s: match(_need_str("", p), _need_str("", s)),
        "title": lambda s: title(_need_str("title", s)),
        "toUpper": lambda s: _need_str("toUpper", s).upper(),
        "toLower": lambda s: _need_str("toLower", s).lower(),
        "graphLink": lambda e: graph_link(_need_str("", e)),
        "tableLink": lambda e: table_link(_need_str("", e)),
        "sortByLabel": sort_by_label,
        "humanize": humanize,
        "humanize1024": humanize1024,
        "humanizeDuration": humanize_duration,
        "humanizePercentage": humanize_percentage,
        "humanizeTimestamp": humanize_timestamp,
        "toTime": to_time,
        "toDuration": lambda i: humanize_duration(i),
        "pathPrefix": lambda: urllib.parse.urlparse(ctx.external_url).path,
        "externalURL": lambda: ctx.external_url,
        "parseDuration": parse_dur,
        "stripPort": lambda s: strip_port(_need_str("stripPort", s)),
        "stripDomain": lambda s: strip_domain(_need_str("stripDomain", s)),
        "now": lambda: ctx.now_s,
        "urlQueryEscape": lambda s: urllib.parse.quote_plus(_need_str("", s)),
        "print": lambda *a: sprint(*a),
        "printf": lambda f, *a: sprintf(_need_str("printf", f), list(a)),
        "println": lambda *a: " ".join(sprint_value(x) for x in a) + "\n",
        "html": lambda *a: html.escape(sprint(*a), quote=True).replace("&#x27;", "&#39;"),
        "js": lambda *a: sprint(*a).replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"'),
        "urlquery": lambda *a: urllib.parse.quote_plus(sprint(*a)),
    }
