"""Relabeling (``relabel_configs``, ``metric_relabel_configs``) as Prometheus does it.

A ``RelabelConfig`` is one rule; ``RelabelConfig.create(...)`` applies the
defaults (separator ``;``, regex ``(.*)``, replacement ``$1``, action
``replace``) and validates with upstream's error texts. ``process(labels,
rules)`` applies rules in order to a whole label set and returns the new set,
or ``None`` when a rule dropped it. ``process_dict`` does the same on a mutable
dict (the target pipeline uses it on discovered labels).

Regexes are RE2 anchored as upstream (``^(?s:re)$``, via
``lab.model.re2.compile_anchored``); ``$1``, ``${1}``, ``$name`` and ``$$`` in
``replacement``/``target_label`` expand as Go's ``regexp.Expand``. Metric
relabeling runs once per *new* raw series text (the scrape cache keeps the
result), so rules are applied per label set, not vectorised.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lab.model.errors import RegexError
from lab.model.labels import Labels, is_legacy_label_name
from lab.model.re2 import compile_anchored

from .errors import RelabelConfigError


class Action(enum.Enum):
    REPLACE = "replace"
    KEEP = "keep"
    DROP = "drop"
    KEEPEQUAL = "keepequal"
    DROPEQUAL = "dropequal"
    HASHMOD = "hashmod"
    LABELMAP = "labelmap"
    LABELDROP = "labeldrop"
    LABELKEEP = "labelkeep"
    LOWERCASE = "lowercase"
    UPPERCASE = "uppercase"

    @classmethod
    def parse(cls, text: str) -> Action:
        try:
            return cls(text.lower())
        except ValueError:
            raise RelabelConfigError(f'unknown relabel action "{text}"') from None


DEFAULT_SEPARATOR = ";"
DEFAULT_REGEX = "(.*)"
DEFAULT_REPLACEMENT = "$1"

#: A target_label with ``$`` variables, legacy charset (upstream's relabelTargetLegacy).
_TARGET_WITH_VARS = re.compile(r"^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$", re.ASCII)


@dataclass(frozen=True, slots=True)
class RelabelConfig:
    """One relabel rule, validated. Build with ``RelabelConfig.create``."""

    source_labels: tuple[str, ...] = ()
    separator: str = DEFAULT_SEPARATOR
    regex: str = DEFAULT_REGEX
    modulus: int = 0
    target_label: str = ""
    replacement: str = DEFAULT_REPLACEMENT
    action: Action = Action.REPLACE

    @classmethod
    def create(
        cls,
        *,
        source_labels: Sequence[str] = (),
        separator: str = DEFAULT_SEPARATOR,
        regex: str = DEFAULT_REGEX,
        modulus: int = 0,
        target_label: str = "",
        replacement: str = DEFAULT_REPLACEMENT,
        action: Action | str = Action.REPLACE,
    ) -> RelabelConfig:
        act = action if isinstance(action, Action) else Action.parse(action)
        rule = cls(tuple(source_labels), separator, regex, modulus, target_label, replacement, act)
        rule.validate()
        return rule

    @property
    def pattern(self) -> re.Pattern[str]:
        return compile_anchored(self.regex)

    def validate(self) -> None:
        """Raise ``RelabelConfigError`` with upstream's text if the rule is invalid."""
        try:
            compile_anchored(self.regex)
        except RegexError as exc:
            raise RelabelConfigError(str(exc)) from None
        a = self.action
        if a is Action.HASHMOD and self.modulus == 0:
            raise RelabelConfigError("relabel configuration for hashmod requires non-zero modulus")
        needs_target = (
            Action.REPLACE, Action.HASHMOD, Action.LOWERCASE, Action.UPPERCASE,
            Action.KEEPEQUAL, Action.DROPEQUAL,
        )  # fmt: skip
        if a in needs_target and not self.target_label:
            raise RelabelConfigError(
                f"relabel configuration for {a.value} action requires 'target_label' value"
            )
        invalid_target = f"\"{self.target_label}\" is invalid 'target_label' for {a.value} action"
        if a is Action.REPLACE:
            ok = (
                _TARGET_WITH_VARS.match(self.target_label)
                if "$" in self.target_label
                else is_legacy_label_name(self.target_label)
            )
            if not ok:
                raise RelabelConfigError(invalid_target)
        simple = (Action.LOWERCASE, Action.UPPERCASE, Action.KEEPEQUAL, Action.DROPEQUAL)
        if a in simple and not is_legacy_label_name(self.target_label):
            raise RelabelConfigError(invalid_target)
        if a in simple and self.replacement != DEFAULT_REPLACEMENT:
            raise RelabelConfigError(f"'replacement' can not be set for {a.value} action")
        if a is Action.LABELMAP and not _TARGET_WITH_VARS.match(self.replacement):
            raise RelabelConfigError(
                f"\"{self.replacement}\" is invalid 'replacement' for {a.value} action"
            )
        if a is Action.HASHMOD and not is_legacy_label_name(self.target_label):
            raise RelabelConfigError(invalid_target)
        if a in (Action.DROPEQUAL, Action.KEEPEQUAL) and (
            self.regex != DEFAULT_REGEX
            or self.modulus != 0
            or self.separator != DEFAULT_SEPARATOR
            or self.replacement != DEFAULT_REPLACEMENT
        ):
            raise RelabelConfigError(
                f"{a.value} action requires only 'source_labels' and `target_label`, "
                "and no other fields"
            )
        if a in (Action.LABELDROP, Action.LABELKEEP) and (
            self.source_labels
            or self.target_label
            or self.modulus != 0
            or self.separator != DEFAULT_SEPARATOR
            or self.replacement != DEFAULT_REPLACEMENT
        ):
            raise RelabelConfigError(f"{a.value} action requires only 'regex', and no other fields")


def expand(template: str, match: re.Match[str]) -> str:
    """Go's ``regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``.

    A name is as long as possible (``$1x`` is ``${1x}``); an unknown or
    unmatched group expands to ""; a ``$`` not followed by a valid name is kept.
    """
    if "$" not in template:
        return template
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        i = j + 1
        if i < n and template[i] == "$":
            out.append("$")
            i += 1
            continue
        name, i_next = _extract(template, i)
        if name is None:
            out.append("$")
            continue
        i = i_next
        out.append(_group(match, name))
    return "".join(out)


def _is_name_char(c: str) -> bool:
    return c == "_" or c.isalpha() or c.isdigit()


def _extract(template: str, i: int) -> tuple[str | None, int]:
    n = len(template)
    if i < n and template[i] == "{":
        end = i + 1
        while end < n and _is_name_char(template[end]):
            end += 1
        if end == i + 1 or end >= n or template[end] != "}":
            return None, i
        return template[i + 1 : end], end + 1
    end = i
    while end < n and _is_name_char(template[end]):
        end += 1
    if end == i:
        return None, i
    return template[i:end], end


def _group(match: re.Match[str], name: str) -> str:
    if name.isdigit() and name.isascii():
        index = int(name)
        if index > (match.re.groups):
            return ""
        return match.group(index) or ""
    if name not in match.re.groupindex:
        return ""
    return match.group(name) or ""


def hashmod(value: str, modulus: int) -> int:
    """md5 of ``value``, its last 8 bytes as a big-endian integer, mod ``modulus``."""
    digest = hashlib.md5(value.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[8:], "big") % modulus


def _apply(rule: RelabelConfig, lb: dict[str, str]) -> bool:
    val = rule.separator.join(lb.get(name, "") for name in rule.source_labels)
    a = rule.action
    if a is Action.REPLACE:
        if (
            val == ""
            and rule.regex == DEFAULT_REGEX
            and "$" not in rule.target_label
            and "$" not in rule.replacement
        ):
            _set(lb, rule.target_label, rule.replacement)
            return True
        m = rule.pattern.fullmatch(val)
        if m is None:
            return True
        target = expand(rule.target_label, m)
        if not is_legacy_label_name(target):
            return True
        _set(lb, target, expand(rule.replacement, m))
    elif a is Action.KEEP:
        return rule.pattern.fullmatch(val) is not None
    elif a is Action.DROP:
        return rule.pattern.fullmatch(val) is None
    elif a is Action.KEEPEQUAL:
        return lb.get(rule.target_label, "") == val
    elif a is Action.DROPEQUAL:
        return lb.get(rule.target_label, "") != val
    elif a is Action.LOWERCASE:
        _set(lb, rule.target_label, val.lower())
    elif a is Action.UPPERCASE:
        _set(lb, rule.target_label, val.upper())
    elif a is Action.HASHMOD:
        _set(lb, rule.target_label, str(hashmod(val, rule.modulus)))
    elif a is Action.LABELMAP:
        pattern = rule.pattern
        for name, value in list(lb.items()):
            m = pattern.fullmatch(name)
            if m is not None:
                _set(lb, expand(rule.replacement, m), value)
    elif a is Action.LABELDROP:
        for name in [n for n in lb if rule.pattern.fullmatch(n)]:
            del lb[name]
    elif a is Action.LABELKEEP:
        for name in [n for n in lb if not rule.pattern.fullmatch(n)]:
            del lb[name]
    return True


def _set(lb: dict[str, str], name: str, value: str) -> None:
    # As labels.Builder.Set: an empty value deletes the label.
    if value == "":
        lb.pop(name, None)
    else:
        lb[name] = value


def process_dict(lb: dict[str, str], rules: Iterable[RelabelConfig]) -> bool:
    """Apply ``rules`` to ``lb`` in place; False when a rule dropped the set."""
    return all(_apply(rule, lb) for rule in rules)


def process(labels: Labels | Mapping[str, str], rules: Sequence[RelabelConfig]) -> Labels | None:
    """The label set after ``rules``, or None if dropped. No rules: unchanged."""
    if not rules:
        return labels if isinstance(labels, Labels) else Labels.of(labels)
    lb = dict(labels)
    if not process_dict(lb, rules):
        return None
    return Labels.from_pairs(lb.items())
