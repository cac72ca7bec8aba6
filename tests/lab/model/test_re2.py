"""RE2 patterns behave as in Prometheus 3.x: anchored, dot matches newline, ASCII classes."""

from __future__ import annotations

import pytest

from lab.model.errors import RegexError
from lab.model.matcher import Matcher, MatchType
from lab.model.re2 import compile_anchored

CASES: list[tuple[str, str, bool]] = [
    ("api.*", "api-server", True),
    ("api", "api-server", False),  # fully anchored
    ("a|b", "a", True),
    ("a|b", "ab", False),  # alternation inside the anchors
    (".*", "line1\nline2", True),  # dot matches newline (3.x)
    ("\\d+", "123", True),
    ("\\d+", "١٢٣", False),  # RE2 \d is ASCII only
    ("\\w+", "héllo", False),
    ("[[:alpha:]]+", "abc", True),
    ("[[:digit:]]x", "7x", True),
    ("(?i)PRO", "pro", True),
    (".*(?i:PRO).*", "xproy", True),
    ("((?i)PRO).*", "prod", True),
    ("a(?i)b", "aB", True),
    ("a(?i)b", "AB", False),  # the flag applies only after it
    ("(a(?i)b)c", "aBc", True),
    ("(a(?i)b)c", "aBC", False),  # ...and only to the end of its group
    ("\\Qa.b\\E", "a.b", True),
    ("\\Qa.b\\E", "axb", False),
    ("(?P<x>a)b", "ab", True),
    ("[^\\d]", "x", True),
    ("\\D", "5", False),
    ("", "", True),
]


@pytest.mark.parametrize(("pattern", "text", "matches"), CASES)
def test_re2_semantics(pattern: str, text: str, matches: bool) -> None:
    assert (compile_anchored(pattern).fullmatch(text) is not None) is matches


@pytest.mark.parametrize("pattern", ["(", "a**", "[z-a]", "a++", "\\", "(?<!x)y", "\\pL"])
def test_invalid_or_unsupported_patterns_raise_regex_error(pattern: str) -> None:
    with pytest.raises(RegexError):
        compile_anchored(pattern)


def test_matcher_semantics() -> None:
    assert Matcher(MatchType.EQUAL, "a", "").matches_empty()
    assert Matcher(MatchType.NOT_REGEX, "a", "x.*").matches("y")
    assert not Matcher(MatchType.NOT_EQUAL, "a", "").matches("")
    assert str(Matcher(MatchType.REGEX, "job", 'a"b')) == 'job=~"a\\"b"'
