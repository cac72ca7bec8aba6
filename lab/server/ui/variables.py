"""Dashboard template variables resolved against the lab's own storage.

Query variables use Grafana's Prometheus helpers: ``label_values(label)``,
``label_values(selector, label)``, ``label_names()``, ``metrics(regex)`` and
``query_result(expr)``; any other text is a series selector, as in Grafana.
They read the storage through the same seams as ``/api/v1/label/<name>/values``
and ``/api/v1/series`` (a querier over the dashboard's time range), so the
viewer and the report see what the API serves. Custom, constant, interval and
textbox variables come from their own text; ``datasource`` variables resolve
to ``prometheus`` (the lab is the only data source).

Variables are resolved in order, each query interpolated with the ones
before it, so chained variables (``$job`` -> ``$instance``) work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lab.model.labels import METRIC_NAME
from lab.model.matcher import Matcher
from lab.server.promql.errors import PromQLError
from lab.server.storage.interface import Queryable
from lab.server.ui.grafana import Variable
from lab.server.ui.interpolate import Selection, interpolate

ALL = "$__all"
#: a bound on the options listed for one variable, so a typo'd selector on a
#: big store does not send thousands of values to the browser
MAX_OPTIONS = 1_000

_CALL = re.compile(
    r"^\s*(?P<fn>label_values|label_names|metrics|query_result)\s*\((?P<args>.*)\)\s*$", re.DOTALL
)


@dataclass(frozen=True, slots=True)
class ResolvedVariable:
    variable: Variable
    options: tuple[str, ...]
    selection: Selection
    error: str = ""

    @property
    def name(self) -> str:
        return self.variable.name


def resolve_variables(
    variables: Sequence[Variable],
    queryable: Queryable,
    from_ms: int,
    to_ms: int,
    requested: Mapping[str, Sequence[str]],
    builtins: Mapping[str, str],
) -> list[ResolvedVariable]:
    """Every variable's options and selection; ``requested`` holds the
    ``var-<name>`` values from the URL (``$__all`` selects "All")."""
    out: list[ResolvedVariable] = []
    chosen: dict[str, Selection] = {}
    for var in variables:
        error = ""
        try:
            options = _options(var, queryable, from_ms, to_ms, chosen, builtins)
        except (PromQLError, ValueError, re.error) as exc:
            options, error = (), f"{var.name}: {exc}"
        sel = _select(var, options, requested.get(var.name))
        chosen[var.name] = sel
        out.append(ResolvedVariable(var, options, sel, error))
    return out


def _options(
    var: Variable,
    queryable: Queryable,
    from_ms: int,
    to_ms: int,
    chosen: Mapping[str, Selection],
    builtins: Mapping[str, str],
) -> tuple[str, ...]:
    kind = var.type
    if kind == "datasource":
        return ("prometheus",)
    if kind in ("custom", "interval"):
        values = [v.strip() for v in re.split(r"(?<!\\),", var.query) if v.strip()]
        if " : " in var.query:  # "text : value" pairs
            values = [v.split(" : ", 1)[1] for v in values]
        return tuple(values) or var.options
    if kind in ("constant", "textbox"):
        return (var.query,) if var.query else var.current
    if kind != "query":
        return var.options or var.current  # adhoc, groupby ...: nothing to resolve
    query = interpolate(var.query, chosen, builtins)
    values = _query_values(query, queryable, from_ms, to_ms)
    return _sorted(_filter(values, var.regex), var.sort)[:MAX_OPTIONS]


def _query_values(query: str, queryable: Queryable, from_ms: int, to_ms: int) -> list[str]:
    m = _CALL.match(query)
    if m is None:
        return sorted({_series_text(s) for s in _select_series(query, queryable, from_ms, to_ms)})
    fn, args = m.group("fn"), m.group("args").strip()
    if fn == "label_names":
        names: set[str] = set()
        for s in _select_series(args or '{__name__=~".+"}', queryable, from_ms, to_ms):
            names.update(k for k, _ in s)
        return sorted(names)
    if fn == "metrics":
        pattern = re.compile(args.strip("\"'") or ".*")
        found = _label_values(METRIC_NAME, "", queryable, from_ms, to_ms)
        return [n for n in found if pattern.search(n)]
    if fn == "query_result":
        from lab.server.promql.engine import Engine, VectorResult

        result = Engine().instant_query(queryable, args, to_ms).value
        if not isinstance(result, VectorResult):
            return [str(getattr(result, "value", ""))]
        return [f"{_labels_text(s.labels.to_dict())} {s.value:g} {to_ms}" for s in result.samples]
    # label_values([selector,] label): the label is the last argument
    selector, _, label = args.rpartition(",")
    return _label_values(label.strip(), selector.strip(), queryable, from_ms, to_ms)


def _label_values(
    label: str, selector: str, queryable: Queryable, from_ms: int, to_ms: int
) -> list[str]:
    if not label:
        raise ValueError("label_values() needs a label name")
    text = selector or "{" + label + '=~".+"}'
    values = {dict(s).get(label, "") for s in _select_series(text, queryable, from_ms, to_ms)}
    values.discard("")
    return sorted(values)


def _select_series(
    selector: str, queryable: Queryable, from_ms: int, to_ms: int
) -> list[tuple[tuple[str, str], ...]]:
    from lab.server.promql.parser.parser import parse_series_selector

    matchers: list[Matcher] = list(parse_series_selector(selector).matchers)
    if all(m.matches_empty() for m in matchers):  # the API refuses these too
        raise ValueError(f"{selector}: needs at least one non-empty matcher")
    querier = queryable.querier(from_ms, to_ms)
    try:
        return [tuple(s.labels.to_dict().items()) for s in querier.select(matchers)]
    finally:
        querier.close()


def _labels_text(labels: Mapping[str, str]) -> str:
    name = labels.get(METRIC_NAME, "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != METRIC_NAME)
    return f"{name}{{{rest}}}"


def _series_text(pairs: tuple[tuple[str, str], ...]) -> str:
    return _labels_text(dict(pairs))


def _filter(values: Sequence[str], regex: str) -> list[str]:
    """Grafana's variable regex: ``/pattern/flags``; keep the matching values,
    or the first capture group (or the group named ``value``) when there is one."""
    if not regex:
        return list(values)
    body, flags = regex, 0
    m = re.fullmatch(r"/(.*)/([gimsuy]*)", regex, re.DOTALL)
    if m:
        body = m.group(1)
        flags = re.IGNORECASE if "i" in m.group(2) else 0
    pattern = re.compile(body, flags)
    out: list[str] = []
    for v in values:
        hit = pattern.search(v)
        if hit is None:
            continue
        if "value" in pattern.groupindex:
            out.append(hit.group("value"))
        elif pattern.groups:
            out.append(hit.group(1) or "")
        else:
            out.append(v)
    return list(dict.fromkeys(out))


def _sorted(values: list[str], sort: int) -> tuple[str, ...]:
    if sort in (1, 2):
        return tuple(sorted(values, reverse=sort == 2))
    if sort in (3, 4):
        return tuple(sorted(values, key=_numeric, reverse=sort == 4))
    if sort in (5, 6):
        return tuple(sorted(values, key=str.lower, reverse=sort == 6))
    return tuple(values)


def _numeric(v: str) -> float:
    m = re.search(r"-?\d+(\.\d+)?", v)
    return float(m.group(0)) if m else float("inf")


def _select(var: Variable, options: tuple[str, ...], requested: Sequence[str] | None) -> Selection:
    def all_() -> Selection:
        return Selection(options, multi=True, all=True, all_value=var.all_value)

    wanted = list(requested) if requested else list(var.current)
    if any(w in (ALL, "All") for w in wanted) and var.include_all:
        return all_()
    if var.type in ("constant", "textbox", "datasource") and options:
        return Selection(options[:1])
    picked = tuple(w for w in wanted if w in options) if options else tuple(wanted)
    if not picked:
        if var.include_all and options:
            return all_()
        picked = options[:1]
    if not var.multi:
        picked = picked[:1]
    return Selection(picked, multi=var.multi)


def selections(resolved: Sequence[ResolvedVariable]) -> dict[str, Selection]:
    return {r.name: r.selection for r in resolved}


__all__ = [
    "ALL",
    "ResolvedVariable",
    "resolve_variables",
    "selections",
]
