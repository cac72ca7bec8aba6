"""Go text/template for alert labels and annotations (Prometheus's syntax).

    tmpl = parse_template("__alert_X", ALERT_TEMPLATE_DEFS + "{{ $value | humanize }}")
    text = tmpl.execute(AlertData(labels, ext_labels, ext_url, value), FuncContext(...))
    text = expand_alert(rule_name, text, labels=..., value=..., ...)  # never raises

``parse_template`` raises ``TemplateParseError`` at load time for syntax
errors, unknown functions and undefined variables; ``execute`` raises
``TemplateExecError``. ``expand_alert`` mirrors Prometheus's rule evaluation:
an error becomes the value ``<error expanding template: ...>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lab.server.rules.errors import TemplateError
from lab.server.rules.templates.exec import Executor
from lab.server.rules.templates.funcs import (
    FUNC_NAMES,
    FuncContext,
    QuerySample,
    TemplateQuery,
    make_funcs,
)
from lab.server.rules.templates.gofmt import sprint_value
from lab.server.rules.templates.nodes import ListNode
from lab.server.rules.templates.parse import parse

__all__ = [
    "ALERT_TEMPLATE_DEFS",
    "AlertData",
    "FuncContext",
    "QuerySample",
    "Template",
    "TemplateQuery",
    "expand_alert",
    "parse_template",
]

#: Prepended by Prometheus to every alert label/annotation template, so the
#: variables exist (and columns in error messages count from here).
ALERT_TEMPLATE_DEFS = (
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}"
)


@dataclass
class AlertData:
    Labels: dict[str, str]
    ExternalLabels: dict[str, str] = field(default_factory=dict)
    ExternalURL: str = ""
    Value: float = 0.0
    go_type: str = field(default="template.tmplData", repr=False)

    def go_string(self) -> str:
        parts = [self.Labels, self.ExternalLabels, self.ExternalURL, self.Value]
        return "{" + " ".join(sprint_value(p) for p in parts) + "}"


@dataclass(frozen=True)
class Template:
    name: str
    root: ListNode

    def execute(self, data: Any, ctx: FuncContext | None = None) -> str:
        return Executor(self.name, make_funcs(ctx or FuncContext())).run(self.root, data)


def parse_template(name: str, text: str) -> Template:
    return Template(name, parse(name, text, FUNC_NAMES))


def uses_value(text: str) -> bool:
    """Whether a template may depend on the sample value or on queries (so an
    alert's identity can change between evaluations)."""
    return bool(_VALUE_USE.search(text))


_VALUE_USE = re.compile(r"\$value|\.Value\b|\bquery\b|\{\{-?\s*\.\s*-?\}\}|\$\s*\}\}|\$\.")


def expand_alert(
    rule_name: str,
    text: str,
    *,
    labels: dict[str, str],
    value: float,
    external_labels: dict[str, str] | None = None,
    external_url: str = "",
    query: TemplateQuery | None = None,
    now_s: float = 0.0,
) -> str:
    if "{{" not in text:
        return text
    name = "__alert_" + rule_name
    try:
        tmpl = _cached(name, text)
        data = AlertData(labels, external_labels or {}, external_url, value)
        return tmpl.execute(data, FuncContext(query, external_url, now_s))
    except TemplateError as exc:
        return f"<error expanding template: {exc}>"


_CACHE: dict[tuple[str, str], Template] = {}


def _cached(name: str, text: str) -> Template:
    key = (name, text)
    tmpl = _CACHE.get(key)
    if tmpl is None:
        if len(_CACHE) > 4096:
            _CACHE.clear()
        tmpl = parse_template(name, ALERT_TEMPLATE_DEFS + text)
        _CACHE[key] = tmpl
    return tmpl
