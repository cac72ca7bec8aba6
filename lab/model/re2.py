"""Translate RE2 syntax (what Prometheus uses) into Python ``re``.

Prometheus compiles ``^(?s:<re>)$``: fully anchored, and ``.`` matches newline
(3.x). The differences from Python's ``re`` that matter in practice:

* ``\\d``, ``\\w``, ``\\s`` are ASCII-only in RE2 (Unicode in Python ``str`` patterns);
* inline flags may appear mid-pattern, ``a(?i)b``, applying to the rest of the
  enclosing group (Python only allows global flags at the very start);
* ``\\z`` is end of text (Python spells it ``\\Z``); ``\\Q...\\E`` quotes literally;
* POSIX classes ``[[:alpha:]]`` inside brackets.
"""

from __future__ import annotations

import functools
import re

from lab.model.errors import RegexError

_PERL_CLASSES = {
    "d": "0-9",
    "w": "0-9A-Za-z_",
    "s": "\\t\\n\\f\\r ",
}
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def translate(pattern: str) -> str:
    """Rewrite an RE2 pattern as an equivalent Python pattern (not anchored)."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    # Each open group remembers how many extra ")" a mid-group flag opened.
    depth_extra: list[int] = [0]
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise RegexError(
                    f"error parsing regexp: trailing backslash at end of expression: `{pattern}`"
                )
            d = pattern[i + 1]
            if d in _PERL_CLASSES:
                out.append("[" + _PERL_CLASSES[d] + "]")
            elif d.lower() in _PERL_CLASSES and d.isupper():
                out.append("[^" + _PERL_CLASSES[d.lower()] + "]")
            elif d == "z":
                out.append("\\Z")
            elif d == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            elif d == "C":
                out.append("(?s:.)")
            elif d in "pP":
                raise RegexError(f"unsupported Unicode class \\{d} in regexp: `{pattern}`")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            j, cls = _translate_class(pattern, i)
            out.append(cls)
            i = j
            continue
        if c == "(":
            if pattern.startswith("(?", i):
                m = re.compile(r"\(\?([imsU-]*)([:)])").match(pattern, i)
                if m and m.group(1) and "U" not in m.group(1):
                    flags, kind = m.group(1), m.group(2)
                    if kind == ":":
                        out.append(_flag_group(flags))
                        depth_extra.append(0)
                    else:
                        # (?i) mid-pattern: applies until the enclosing group ends.
                        out.append(_flag_group(flags))
                        depth_extra[-1] += 1
                    i = m.end()
                    continue
                if pattern.startswith("(?P<", i) or pattern.startswith("(?:", i):
                    depth_extra.append(0)
                    out.append(pattern[i : i + 3] if pattern[i + 2] == ":" else "(?P<")
                    i += 3 if pattern[i + 2] == ":" else 4
                    continue
                if pattern.startswith("(?<", i):
                    depth_extra.append(0)
                    out.append("(?P<")
                    i += 3
                    continue
                raise RegexError(
                    "error parsing regexp: invalid or unsupported Perl syntax: "
                    f"`{pattern[i : i + 3]}`"
                )
            depth_extra.append(0)
            out.append("(")
            i += 1
            continue
        if c == ")":
            extra = depth_extra.pop() if len(depth_extra) > 1 else 0
            out.append(")" * extra + ")")
            i += 1
            continue
        if c in "*+?}" and i + 1 < n and pattern[i + 1] == "+":
            raise RegexError(f"error parsing regexp: invalid nested repetition operator: `{c}+`")
        out.append(c)
        i += 1
    out.append(")" * depth_extra[0])
    return "".join(out)


def _flag_group(flags: str) -> str:
    on, _, off = flags.partition("-")
    on = on.replace("U", "")
    off = off.replace("U", "")
    return f"(?{on}{'-' + off if off else ''}:"


def _translate_class(pattern: str, start: int) -> tuple[int, str]:
    """Translate a bracket expression starting at ``start``; return (end, text)."""
    i = start + 1
    out = ["["]
    if i < len(pattern) and pattern[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and not first:
            out.append("]")
            return i + 1, "".join(out)
        first = False
        if c == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            if end > 0:
                name = pattern[i + 2 : end]
                negate = name.startswith("^")
                cls = _POSIX_CLASSES.get(name.lstrip("^"))
                if cls is None:
                    raise RegexError(
                        f"error parsing regexp: invalid character class range: `[:{name}:]`"
                    )
                if negate:
                    raise RegexError(f"unsupported negated POSIX class in regexp: `[:{name}:]`")
                out.append(cls)
                i = end + 2
                continue
        if c == "[":
            out.append("\\[")
            i += 1
            continue
        if c == "\\" and i + 1 < len(pattern):
            d = pattern[i + 1]
            if d in _PERL_CLASSES:
                out.append(_PERL_CLASSES[d])
            elif d.lower() in _PERL_CLASSES and d.isupper():
                raise RegexError(f"unsupported negated class \\{d} inside brackets: `{pattern}`")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(c)
        i += 1
    raise RegexError(f"error parsing regexp: missing closing ]: `{pattern[start:]}`")


@functools.lru_cache(maxsize=4096)
def compile_anchored(pattern: str) -> re.Pattern[str]:
    """Compile as Prometheus does: ``^(?s:pattern)$``. Use ``.fullmatch``."""
    try:
        return re.compile("(?s:" + translate(pattern) + ")")
    except re.error as exc:
        raise RegexError(f"error parsing regexp: {exc.msg}: `{pattern}`") from exc
