"""Prometheus's rule-file format (rulefmt): parse, validate, report as promtool.

    rule_file = load_rule_file("alerts.yml")          # raises RuleFileError
    for group in rule_file.groups: ... group.rules[i].expr ...

Validation follows ``rulefmt`` (Prometheus 3.x, UTF-8 names): group names
non-empty and unique per file; exactly one of ``record``/``alert``; ``expr``
present and valid PromQL; recording rules without ``for``, ``keep_firing_for``
or annotations; label/annotation names valid; alerting-rule label and
annotation values must parse as Go templates. Each problem is one line in
promtool's words, ``<file>: <line>:<col>: group "<g>", rule <n>, "<name>": <msg>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lab.model.durations import parse_model_duration_ms
from lab.model.errors import DurationError
from lab.model.gostr import go_quote
from lab.server.promql.errors import ParseError
from lab.server.promql.parser.parser import parse
from lab.server.rules.errors import RuleFileError, TemplateError
from lab.server.rules.templates import ALERT_TEMPLATE_DEFS, parse_template
from lab.server.rules.yamlpos import (
    Pos,
    YamlShapeError,
    compose,
    is_null,
    mapping_items,
    pos,
    scalar,
    sequence,
    string_map,
)

_TOP_KEYS = frozenset({"groups"})
_GROUP_KEYS = frozenset({"name", "interval", "limit", "query_offset", "labels", "rules"})
_RULE_KEYS = frozenset(
    {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
)

_NOWHERE = Pos(0, 0)
_ZERO = Pos(0, 0)


@dataclass(frozen=True)
class RuleSpec:
    """One rule as written. Durations in ms (0 when absent)."""

    kind: str  # "record" | "alert"
    name: str
    expr: str
    for_ms: int = 0
    keep_firing_for_ms: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    pos: Pos = _NOWHERE
    expr_pos: Pos = _NOWHERE
    #: positions of ``for``, labels and annotations values, for linters
    field_pos: Mapping[str, Pos] = field(default_factory=dict)

    @property
    def is_alert(self) -> bool:
        return self.kind == "alert"


@dataclass(frozen=True)
class GroupSpec:
    name: str
    file: str
    rules: tuple[RuleSpec, ...]
    interval_ms: int | None = None  # None: the manager's default
    limit: int = 0
    query_offset_ms: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    pos: Pos = _NOWHERE


@dataclass(frozen=True)
class RuleFile:
    path: str
    groups: tuple[GroupSpec, ...]

    def rule_count(self) -> int:
        return sum(len(g.rules) for g in self.groups)


def duration_ms(text: str) -> int:
    """A Prometheus duration; the error is model.ParseDuration's."""
    try:
        return parse_model_duration_ms(text.strip())
    except DurationError:
        raise ValueError(f"not a valid duration string: {go_quote(text)}") from None


def load_rule_file(path: str | Path, *, ignore_unknown_fields: bool = False) -> RuleFile:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError([f"{name}: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise RuleFileError([f"{name}: {exc}"]) from None
    return parse_rule_text(text, name, ignore_unknown_fields=ignore_unknown_fields)


def parse_rule_text(text: str, filename: str, *, ignore_unknown_fields: bool = False) -> RuleFile:
    try:
        root = compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleFileError([f"{filename}: yaml: {where}{problem}"]) from None
    if root is None:
        return RuleFile(filename, ())
    unknown: list[str] = []
    strict = not ignore_unknown_fields
    try:
        top = mapping_items(root, "rulefmt.RuleGroups", _TOP_KEYS, unknown, strict)
        group_nodes = sequence(top["groups"][1]) if "groups" in top else []
        raw = [_decode_group(g, unknown, strict) for g in group_nodes]
    except (YamlShapeError, ValueError) as exc:
        raise RuleFileError([f"{filename}: {_shape_text(exc)}"]) from None
    if unknown:
        raise RuleFileError([f"{filename}: yaml: unmarshal errors:\n  " + "\n  ".join(unknown)])
    problems: list[str] = []
    groups = _validate(raw, filename, problems)
    if problems:
        raise RuleFileError(problems)
    return RuleFile(filename, tuple(groups))


def _shape_text(exc: Exception) -> str:
    if isinstance(exc, YamlShapeError):
        return f"yaml: unmarshal errors:\n  {exc}"
    return str(exc)


@dataclass
class _RawRule:
    node: yaml.Node
    fields: dict[str, tuple[yaml.Node, yaml.Node]]


@dataclass
class _RawGroup:
    node: yaml.Node
    fields: dict[str, tuple[yaml.Node, yaml.Node]]
    rules: list[_RawRule]


def _decode_group(node: yaml.Node, unknown: list[str], strict: bool) -> _RawGroup:
    fields = mapping_items(node, "rulefmt.RuleGroup", _GROUP_KEYS, unknown, strict)
    rules = [
        _RawRule(r, mapping_items(r, "rulefmt.RuleNode", _RULE_KEYS, unknown, strict))
        for r in sequence(fields["rules"][1] if "rules" in fields else None)
    ]
    return _RawGroup(node, fields, rules)


def _value(fields: dict[str, tuple[yaml.Node, yaml.Node]], key: str) -> str:
    return scalar(fields[key][1]) if key in fields else ""


def _value_pos(fields: dict[str, tuple[yaml.Node, yaml.Node]], key: str, default: Pos) -> Pos:
    return pos(fields[key][1]) if key in fields else default


def _opt_duration(fields: dict[str, tuple[yaml.Node, yaml.Node]], key: str) -> int | None:
    if key not in fields or is_null(fields[key][1]):
        return None
    return duration_ms(scalar(fields[key][1]))


def _validate(raw: list[_RawGroup], filename: str, problems: list[str]) -> list[GroupSpec]:
    out: list[GroupSpec] = []
    seen: set[str] = set()
    for g in raw:
        name = _value(g.fields, "name")
        name_pos = pos(g.node)  # promtool points at the group, not its name
        if not name:
            problems.append(f"{filename}: {name_pos}: Groupname must not be empty")
        elif name in seen:
            problems.append(
                f'{filename}: {name_pos}: groupname: "{name}" is repeated in the same file'
            )
        seen.add(name)
        labels = {k: v for k, (v, _) in string_map(g.fields.get("labels", (None, None))[1]).items()}
        for k in sorted(labels):
            if not k or k == "__name__":
                problems.append(
                    f"{filename}: {name_pos}: group {go_quote(name)}: invalid label name: {k}"
                )
        limit_text = _value(g.fields, "limit")
        try:
            limit = int(limit_text) if limit_text else 0
        except ValueError:
            problems.append(
                f"{filename}: yaml: unmarshal errors:\n  line {name_pos.line}: cannot unmarshal "
                f"!!str `{limit_text}` into int"
            )
            limit = 0
        rules = [_validate_rule(r, i + 1, name, filename, problems) for i, r in enumerate(g.rules)]
        out.append(
            GroupSpec(
                name=name,
                file=filename,
                rules=tuple(rules),
                interval_ms=_opt_duration(g.fields, "interval"),
                limit=limit,
                query_offset_ms=_opt_duration(g.fields, "query_offset"),
                labels=labels,
                pos=pos(g.node),
            )
        )
    return out


def _validate_rule(
    r: _RawRule, index: int, group: str, filename: str, problems: list[str]
) -> RuleSpec:
    f = r.fields
    record, alert, expr = _value(f, "record"), _value(f, "alert"), _value(f, "expr")
    rule_pos = pos(r.node)
    expr_pos = _value_pos(f, "expr", rule_pos)
    name = alert or record
    head = f"group {go_quote(group)}, rule {index}, {go_quote(name)}"

    def problem(msg: str, at: Pos | str | None) -> None:
        where = f"{at}: " if at is not None else ""
        problems.append(f"{filename}: {where}{head}: {msg}")

    # rulefmt points at the YAML node concerned; an absent field is Go's zero
    # node ("0:0"), label/annotation problems carry no node at all
    if record and alert:
        both = f"{_value_pos(f, 'record', rule_pos)}: {_value_pos(f, 'alert', rule_pos)}"
        problem("only one of 'record' and 'alert' must be set", both)
    if not record and not alert:
        problem("one of 'record' or 'alert' must be set", _value_pos(f, "record", _ZERO))
    if not expr:
        problem("field 'expr' must be set in rule", _value_pos(f, "expr", _ZERO))
    else:
        try:
            parse(expr)
        except ParseError as exc:
            problem(f"could not parse expression: {exc}", expr_pos)
    for_ms = keep_ms = 0
    try:
        for_ms = _opt_duration(f, "for") or 0
        keep_ms = _opt_duration(f, "keep_firing_for") or 0
    except ValueError as exc:  # a YAML decoding error upstream: no rule context
        problems.append(f"{filename}: {exc}")
    labels_map = string_map(f["labels"][1]) if "labels" in f else {}
    ann_map = string_map(f["annotations"][1]) if "annotations" in f else {}
    if record:
        if "annotations" in f and not is_null(f["annotations"][1]):
            problem(
                "invalid field 'annotations' in recording rule", _value_pos(f, "record", rule_pos)
            )
        if "for" in f and not is_null(f["for"][1]):
            problem("invalid field 'for' in recording rule", _value_pos(f, "record", rule_pos))
        if "keep_firing_for" in f and not is_null(f["keep_firing_for"][1]):
            problem(
                "invalid field 'keep_firing_for' in recording rule",
                _value_pos(f, "record", rule_pos),
            )
        if "{" in record or "}" in record:
            problem(
                "braces present in the recording rule name; should it be in expr?: " + record,
                _value_pos(f, "record", rule_pos),
            )
    for k in sorted(labels_map):
        if not k or k == "__name__":
            problem(f"invalid label name: {k}", None)
    for k in sorted(ann_map):
        if not k:
            problem(f"invalid annotation name: {k}", None)
    if alert:
        for kind, values in (("label", labels_map), ("annotation", ann_map)):
            for k in sorted(values):
                try:
                    parse_template("__alert_" + alert, ALERT_TEMPLATE_DEFS + values[k][0])
                except TemplateError as exc:
                    problem(f"{kind} {go_quote(k)}: {exc}", None)
    field_pos = {"rule": rule_pos, "expr": expr_pos}
    if "for" in f:
        field_pos["for"] = pos(f["for"][1])
    field_pos.update({f"labels.{k}": p for k, (_, p) in labels_map.items()})
    field_pos.update({f"annotations.{k}": p for k, (_, p) in ann_map.items()})
    return RuleSpec(
        kind="alert" if alert else "record",
        name=name,
        expr=expr,
        for_ms=for_ms,
        keep_firing_for_ms=keep_ms,
        labels={k: v for k, (v, _) in labels_map.items()},
        annotations={k: v for k, (v, _) in ann_map.items()},
        pos=rule_pos,
        expr_pos=expr_pos,
        field_pos=field_pos,
    )
