"""Label matchers (``=``, ``!=``, ``=~``, ``!~``) with Prometheus 3.x regex semantics."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from lab.model.re2 import compile_anchored


class MatchType(enum.Enum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True)
class Matcher:
    """One label matcher. Regexes are RE2, fully anchored, ``.`` matches newline.

    ``Matcher(MatchType.REGEX, "job", "api.*").matches("api-server")`` is True.
    A missing label matches as the empty string, as in Prometheus.
    """

    type: MatchType
    name: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.type in (MatchType.REGEX, MatchType.NOT_REGEX):
            object.__setattr__(self, "_regex", compile_anchored(self.value))

    def matches(self, value: str) -> bool:
        t = self.type
        if t is MatchType.EQUAL:
            return value == self.value
        if t is MatchType.NOT_EQUAL:
            return value != self.value
        assert self._regex is not None
        hit = self._regex.fullmatch(value) is not None
        return hit if t is MatchType.REGEX else not hit

    def matches_empty(self) -> bool:
        return self.matches("")

    def __str__(self) -> str:
        from lab.model.labels import is_legacy_label_name, quote

        name = self.name if is_legacy_label_name(self.name) else quote(self.name)
        return f"{name}{self.type.value}{quote(self.value)}"


def equal(name: str, value: str) -> Matcher:
    return Matcher(MatchType.EQUAL, name, value)
