"""Status and metadata endpoints: ``/api/v1/status/*``, ``/api/v1/targets``,
``/api/v1/metadata``, ``/api/v1/targets/metadata`` and the rule/alert
listings (built by ``lab.server.rules.api`` from the deps' rule manager and
notifier), in Prometheus's JSON shapes."""

from __future__ import annotations

from lab.model.matcher import Matcher
from lab.server.api import encode
from lab.server.api.deps import ApiDeps, JSONDict
from lab.server.api.errors import BadDataError, invalid_param
from lab.server.api.params import Form

TSDB_DEFAULT_LIMIT = 10


def buildinfo(deps: ApiDeps) -> bytes:
    return encode.envelope(encode.to_json(dict(deps.build_info)))


def config(deps: ApiDeps) -> bytes:
    return encode.envelope(encode.to_json({"yaml": deps.config_yaml()}))


def flags(deps: ApiDeps) -> bytes:
    return encode.envelope(encode.to_json(dict(sorted(deps.flags.items()))))


def runtimeinfo(deps: ApiDeps) -> bytes:
    return encode.envelope(encode.to_json(deps.runtime_info()))


def tsdb(deps: ApiDeps, form: Form) -> bytes:
    text = form.get("limit")
    limit = TSDB_DEFAULT_LIMIT
    if text:
        try:
            limit = int(text)
        except ValueError:
            limit = 0
        if limit < 1:
            raise BadDataError("limit must be a positive number")
    data: JSONDict = (
        deps.tsdb_status(limit)
        if deps.tsdb_status is not None
        else {
            "headStats": {
                "numSeries": 0,
                "numLabelPairs": 0,
                "chunkCount": 0,
                "minTime": 0,
                "maxTime": 0,
            },
            "seriesCountByMetricName": [],
            "labelValueCountByLabelName": [],
            "memoryInBytesByLabelName": [],
            "seriesCountByLabelValuePair": [],
        }
    )
    return encode.envelope(encode.to_json(data))


def targets(deps: ApiDeps, form: Form) -> bytes:
    active, dropped = deps.targets() if deps.targets is not None else ([], [])
    state = form.get("state").lower()
    data: JSONDict = {}
    # Upstream: an unknown or empty state means "any".
    if state in ("", "any", "active"):
        data["activeTargets"] = active
    else:
        data["activeTargets"] = []
    if state in ("", "any", "dropped"):
        data["droppedTargets"] = dropped
    else:
        data["droppedTargets"] = []
    return encode.envelope(encode.to_json(data))


def metadata(deps: ApiDeps, form: Form) -> bytes:
    limit = form.limit("limit")
    per_metric = form.limit("limit_per_metric")
    metric = form.get("metric")
    source = deps.metadata() if deps.metadata is not None else {}
    out: dict[str, list[JSONDict]] = {}
    for name in sorted(source):
        if metric and name != metric:
            continue
        if limit is not None and limit >= 0 and len(out) >= limit:
            break
        entries = source[name]
        if per_metric is not None and per_metric > 0:
            entries = entries[:per_metric]
        out[name] = entries
    return encode.envelope(encode.to_json(out))


def targets_metadata(deps: ApiDeps, form: Form) -> bytes:
    """As upstream: ``limit`` counts targets (checked before each, so the last
    one's entries all come), ``match_target`` is a series selector on target
    labels, and with ``metric`` the entries omit the metric name."""
    from lab.server.api.series import parse_matchers

    limit = form.limit("limit")
    metric = form.get("metric")
    match_target = form.get("match_target")
    matchers: tuple[Matcher, ...] = ()
    if match_target:
        try:
            [matchers] = parse_matchers([match_target])
        except BadDataError as exc:
            raise BadDataError(exc.message.replace('"match[]"', '"match_target"')) from None
    targets = deps.targets_metadata() if deps.targets_metadata is not None else []
    rows: list[JSONDict] = []
    for labels, entries in targets:
        if limit is not None and limit >= 0 and len(rows) >= limit:
            break
        if matchers and not all(m.matches(labels.get(m.name)) for m in matchers):
            continue
        target = dict(labels)
        for e in entries:
            if not metric:
                rows.append({"target": target, **e})
            elif e["metric"] == metric:
                rows.append(
                    {"target": target, "type": e["type"], "help": e["help"], "unit": e["unit"]}
                )
    return encode.envelope(encode.to_json(rows))


_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def rules(deps: ApiDeps, form: Form) -> bytes:
    """Upstream's parameters: ``type`` (alert|record, any case), ``rule_name[]``,
    ``rule_group[]``, ``file[]`` and ``exclude_alerts`` (Go's ParseBool)."""
    from lab.server.rules.api import rules_data

    rule_type = form.get("type").lower()
    if rule_type not in ("", "alert", "record"):
        raise invalid_param("type", f'not supported value "{rule_type}"')
    text = form.get("exclude_alerts")
    if text and text not in _TRUE + _FALSE:
        message = f'strconv.ParseBool: parsing "{text}": invalid syntax'
        raise invalid_param("exclude_alerts", message)
    if deps.rule_manager is None:
        return encode.envelope('{"groups":[]}')
    data = rules_data(
        deps.rule_manager,
        rule_type=rule_type or None,
        rule_names=form.getall("rule_name[]"),
        group_names=form.getall("rule_group[]"),
        files=form.getall("file[]"),
        exclude_alerts=text in _TRUE,
    )
    return encode.envelope(encode.to_json(data))


def alerts(deps: ApiDeps) -> bytes:
    from lab.server.rules.api import alerts_data

    if deps.rule_manager is None:
        return encode.envelope('{"alerts":[]}')
    return encode.envelope(encode.to_json(alerts_data(deps.rule_manager)))


def alertmanagers(deps: ApiDeps) -> bytes:
    from lab.server.rules.api import alertmanagers_data

    return encode.envelope(encode.to_json(alertmanagers_data(deps.notifier)))
