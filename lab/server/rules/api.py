"""Prometheus's JSON for ``/api/v1/rules``, ``/api/v1/alerts`` and
``/api/v1/alertmanagers``, built from a ``RuleManager`` / ``Notifier``.

The HTTP layer only has to call these and wrap the result in the API's
``{"status":"success","data":...}`` envelope::

    rules_data(manager, rule_type=form.get("type"), rule_names=..., group_names=...,
               files=..., exclude_alerts=...)
    alerts_data(manager)
    alertmanagers_data(notifier)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lab.model.gofloat import format_e
from lab.server.rules.alerting import Alert, AlertingRule, AlertState
from lab.server.rules.errors import RulesError
from lab.server.rules.group import Group, Rule
from lab.server.rules.manager import RuleManager
from lab.server.rules.notifier import Notifier, rfc3339

ZERO_TIME = "0001-01-01T00:00:00Z"


def _time(ms: int | None) -> str:
    return ZERO_TIME if ms is None else rfc3339(ms)


def _value(v: float) -> str:
    """``strconv.FormatFloat(v, 'e', -1, 64)``."""
    return format_e(v)


def alert_json(a: Alert) -> dict[str, Any]:
    out: dict[str, Any] = {
        "labels": dict(a.labels),
        "annotations": dict(a.annotations),
        "state": a.state.value,
        "activeAt": _time(a.active_at_ms),
        "value": _value(a.value),
    }
    if a.keep_firing_since_ms is not None:
        out["keepFiringSince"] = _time(a.keep_firing_since_ms)
    return out


def _rule_json(rule: Rule, exclude_alerts: bool) -> dict[str, Any]:
    common: dict[str, Any] = {
        "name": rule.name,
        "query": rule.expr_text,
        "labels": dict(rule.labels),
        "health": rule.health.value,
        "evaluationTime": rule.last_duration_s,
        "lastEvaluation": _time(rule.last_eval_ms),
    }
    if rule.last_error:
        common["lastError"] = rule.last_error
    if not isinstance(rule, AlertingRule):
        return {**common, "type": "recording"}
    out = {
        "state": rule.state().value,
        **common,
        "duration": rule.hold_ms / 1000,
        "keepFiringFor": rule.keep_firing_for_ms / 1000,
        "annotations": dict(rule.annotations),
        "type": "alerting",
    }
    if not exclude_alerts:
        out["alerts"] = [alert_json(a) for a in rule.active_alerts()]
    return out


def rules_data(
    manager: RuleManager,
    *,
    rule_type: str | None = None,
    rule_names: Sequence[str] = (),
    group_names: Sequence[str] = (),
    files: Sequence[str] = (),
    exclude_alerts: bool = False,
) -> dict[str, Any]:
    if rule_type not in (None, "", "alert", "record"):
        raise RulesError(f'unsupported type "{rule_type}"')
    groups: list[dict[str, Any]] = []
    for g in manager.groups:
        if (group_names and g.name not in group_names) or (files and g.file not in files):
            continue
        rules = [
            _rule_json(r, exclude_alerts)
            for r in g.rules
            if (not rule_names or r.name in rule_names)
            and (not rule_type or (rule_type == "alert") == isinstance(r, AlertingRule))
        ]
        if (rule_names or rule_type) and not rules:
            continue
        groups.append(_group_json(g, rules))
    return {"groups": groups}


def _group_json(g: Group, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": g.name,
        "file": g.file,
        "rules": rules,
        "interval": g.interval_ms / 1000,
        "limit": g.limit,
        "evaluationTime": g.last_duration_s,
        "lastEvaluation": _time(g.last_eval_ms),
    }


def alerts_data(manager: RuleManager) -> dict[str, Any]:
    return {
        "alerts": [
            alert_json(a)
            for _, a in manager.alerts()
            if a.state in (AlertState.PENDING, AlertState.FIRING)
        ]
    }


def alertmanagers_data(notifier: Notifier | None) -> dict[str, Any]:
    targets = [] if notifier is None else notifier.targets
    return {
        "activeAlertmanagers": [{"url": t.url} for t in targets],
        "droppedAlertmanagers": [],
    }
