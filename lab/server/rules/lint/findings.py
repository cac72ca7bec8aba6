"""What a lint check reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    BUG = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    file: str
    line: int
    col: int = 1
    rule: str = ""


@dataclass(frozen=True)
class LintConfig:
    scrape_interval_ms: int = 60_000
    severities: frozenset[str] = frozenset({"critical", "warning", "info"})
    max_group_interval_ms: int = 5 * 60_000
