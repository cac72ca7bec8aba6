"""Syntax-error messages in Prometheus's words.

Upstream's lexer runs a token ahead of its yacc parser and reports some
problems itself (``unclosed left parenthesis``, ``unexpected character inside
braces: ':'``, ``bad number or duration syntax: "5mm"``); its parser reports the
rest as ``unexpected <token>[ in <context>][, expected <what>]``. lark finds
the same problems at the same places; this module only words them the same
way. It runs on the error path only.
"""

from __future__ import annotations

import re

from lark import Token

from lab.server.promql.parser.literals import go_quote, go_quote_rune

Problem = tuple[int, int, str]

_KEYWORDS = frozenset(
    {
        "BOOL", "BY", "WITHOUT", "ON", "IGNORING", "GROUP_LEFT", "GROUP_RIGHT",
        "FILL", "FILL_LEFT", "FILL_RIGHT", "OFFSET", "ANCHORED", "SMOOTHED",
    }
)  # fmt: skip
_OPERATORS = frozenset(
    {
        "PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "POW", "CMP_OP", "AT",
        "AND", "OR", "UNLESS", "ATAN2",
    }
)  # fmt: skip
_PUNCT = frozenset(
    {"LPAREN", "RPAREN", "LBRACE", "RBRACE", "LBRACKET", "RBRACKET", "COMMA", "COLON"}
)


def describe_token(tok: Token) -> str:
    """Upstream's ``Item.desc()`` for the token lark stopped at."""
    kind = tok.type
    text = str(tok)
    if kind == "$END":
        return "end of input"
    if kind in ("IDENT", "LABEL_NAME"):
        return f"{'metric identifier' if ':' in text else 'identifier'} {go_quote(text)}"
    if kind in _KEYWORDS:
        return f"<{text}>"
    if kind == "AGG_OP":
        return f"<aggr:{text}>"
    if kind == "MATCH_OP":
        return '"="' if text == "=" else f"<op:{text}>"
    if kind in _OPERATORS:
        return f"<op:{text}>"
    if kind in _PUNCT:
        return go_quote(text)
    shown = go_quote(text) if len(text) <= 10 else go_quote(text[:10]) + "..."
    if kind in ("NUMBER", "DURATION", "STRING"):
        return f"{kind.lower()} {shown}"
    return shown


def _context(expected: set[str]) -> str:
    """`` in <context>, expected <what>`` from the terminals the parser wanted."""
    e = expected
    if e == {"MATCH_OP"}:
        return " in label matching, expected label matching operator"
    if e == {"STRING"}:
        return " in label matching, expected string"
    if "LABEL_NAME" in e:
        return ' in label matching, expected identifier or "}"'
    if {"COMMA", "RBRACE"} <= e:
        return ' in label matching, expected "," or "}"'
    if e == {"LPAREN"}:
        return ' in grouping opts, expected "("'
    if {"IDENT", "STRING"} <= e and "NUMBER" not in e:
        return " in grouping opts, expected label"
    if e == {"COMMA", "RPAREN"}:
        return ' in grouping opts, expected "," or ")"'
    if {"START", "END"} <= e:
        return " in @, expected timestamp"
    if {"STEP", "RANGE"} <= e and "RBRACKET" in e:
        return ' in subquery selector, expected number, duration, step(), range(), or "]"'
    if {"COLON", "RBRACKET"} <= e:
        return ' in subquery or range, expected ":" or "]"'
    if e == {"RBRACKET"}:
        return ' in subquery selector, expected "]"'
    return ""


def describe_unexpected(query: str, tok: Token, expected: set[str]) -> Problem:
    start = len(query) if tok.type == "$END" else int(tok.start_pos or 0)
    end = len(query) if tok.type == "$END" else int(tok.end_pos or start)
    return start, end, "unexpected " + describe_token(tok) + _context(expected)


def after_keyword(query: str, tok: Token, expected: set[str], keyword: str) -> Problem | None:
    """Messages for a token missing after ``[``, ``offset`` or ``@``."""
    start = len(query) if tok.type == "$END" else int(tok.start_pos or 0)
    end = len(query) if tok.type == "$END" else int(tok.end_pos or start)
    what = describe_token(tok)
    if keyword == "[":
        return (
            start,
            end,
            (
                f"unexpected {what} in subquery or range selector, "
                "expected number, duration, step(), or range()"
            ),
        )
    if keyword == "offset":
        return (
            start,
            end,
            (f"unexpected {what} in offset, expected number, duration, step(), or range()"),
        )
    if keyword == "@":
        return start, end, f"unexpected {what} in @, expected timestamp"
    return None


_PREV_TOKEN = re.compile(r"(\[|offset|@)[ \t\r\n]*\Z", re.IGNORECASE)


def previous_keyword(query: str, pos: int) -> str | None:
    """``[``, ``offset`` or ``@`` if that is what stands right before ``pos``."""
    m = _PREV_TOKEN.search(query, 0, pos)
    if m is None:
        return None
    word = m.group(1).lower()
    if word == "offset" and m.start() > 0 and re.match(r"[a-zA-Z0-9_:]", query[m.start() - 1]):
        return None
    return word


# -- lexer-level problems -----------------------------------------------------------

_SPACE = " \t\r\n"


def _is_alpha(c: str) -> bool:
    return c == "_" or ("a" <= c <= "z") or ("A" <= c <= "Z")


def _is_alnum(c: str) -> bool:
    return _is_alpha(c) or "0" <= c <= "9"


def _number_text(q: str, i: int) -> tuple[int, bool]:
    """Scan a number or duration at ``i`` as upstream's lexer does: (end, ok)."""
    n = len(q)
    j = i
    digits = "0123456789"
    if q.startswith(("0x", "0X"), j):
        j += 2
        if j < n and q[j] == "_":
            j += 1
        digits = "0123456789abcdefABCDEF"
    if j < n and q[j] == ".":
        j += 1
    if j < n and q[j] in digits:
        j += 1
    dot = exp = False
    while j < n and (q[j] in digits or q[j] in "._eE"):
        c = q[j]
        if c == ".":
            j += 1
            if dot or len(digits) > 10 or (j < n and q[j] in "_."):
                return j + (1 if j < n and q[j] in "_." else 0), False
            dot = True
            continue
        if c in "eE" and digits == "0123456789":
            j += 1
            if exp:
                return j, False
            exp = True
            if j < n and q[j] in "+-":
                j += 1
            if j >= n or q[j] in "._eE":
                return min(j + 1, n), False
            continue
        if c == "_":
            j += 1
            if j >= n or q[j] in "._eE":
                return min(j + 1, n), False
            continue
        j += 1
    if j == i:
        return j, False
    if j >= n or not _is_alnum(q[j]):
        return j, True
    # Not a number: maybe a duration (units smhdwy, an optional s for ms).
    if q[j] not in "smhdwy":
        return j, False
    j += 1
    if j < n and q[j] == "s":
        j += 1
    while j < n and q[j].isdigit():
        while j < n and q[j].isdigit():
            j += 1
        if j >= n or q[j] not in "smhdw":
            return j, False
        j += 1
        if j < n and q[j] == "s":
            j += 1
    if j < n and _is_alnum(q[j]):
        return j + 1, False
    return j, True


def lexer_error(query: str, fail_pos: int) -> Problem | None:
    """The first problem upstream's lexer reports at or before ``fail_pos``."""
    q = query
    n = len(q)
    i = 0
    depth = 0
    brace = False
    bracket = False
    while i < n and i <= fail_pos:
        c = q[i]
        if c in _SPACE:
            i += 1
            continue
        if c == "#":
            while i < n and q[i] not in "\r\n":
                i += 1
            continue
        if c in "\"'`":
            j = i + 1
            while j < n and q[j] != c:
                if c != "`" and q[j] == "\n":
                    break
                if c != "`" and q[j] == "\\":
                    j += 1
                j += 1
            if j >= n or q[j] != c:
                what = "unterminated raw string" if c == "`" else "unterminated quoted string"
                if c != "`" and j >= n and q.endswith("\\"):
                    what = "escape sequence not terminated"
                return i, n, what
            i = j + 1
            continue
        if brace:
            if _is_alpha(c):
                while i < n and _is_alnum(q[i]):
                    i += 1
                continue
            if c == "}":
                brace = False
            elif c == "=":
                if i + 1 < n and q[i + 1] == "~":
                    i += 1
            elif c == "!":
                nxt = q[i + 1] if i + 1 < n else ""
                if nxt not in ("~", "="):
                    shown = go_quote_rune(nxt or " ")
                    return i, n, f"unexpected character after '!' inside braces: {shown}"
                i += 1
            elif c == "{":
                return i, n, "unexpected left brace '{'"
            elif c != ",":
                return i, n, f"unexpected character inside braces: {go_quote_rune(c)}"
            i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and q[i + 1].isdigit()):
            end, ok = _number_text(q, i)
            if not ok:
                return i, end, f"bad number or duration syntax: {go_quote(q[i:end])}"
            i = end
            continue
        if _is_alpha(c) or c == ":":
            if bracket and c == ":":
                i += 1
                continue
            while i < n and (_is_alnum(q[i]) or q[i] == ":"):
                i += 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return i + 1, n, "unexpected right parenthesis ')'"
        elif c == "{":
            brace = True
        elif c == "[":
            if bracket:
                return i + 1, n, "unexpected left bracket '['"
            bracket = True
        elif c == "]":
            if not bracket:
                return i + 1, n, "unexpected right bracket ']'"
            bracket = False
        elif c == "=":
            if i + 1 < n and q[i + 1] == "~":
                return i, n, "unexpected character after '=': '~'"
            if i + 1 < n and q[i + 1] == "=":
                i += 1
        elif c == "!":
            nxt = q[i + 1] if i + 1 < n else ""
            if nxt != "=":
                return i, n, f"unexpected character after '!': {go_quote_rune(nxt or ' ')}"
            i += 1
        elif c in "<>":
            if i + 1 < n and q[i + 1] in "=/":
                i += 1
        elif c not in ",*/%+-^@":
            return i, n, f"unexpected character: {go_quote_rune(c)}"
        i += 1
    if fail_pos >= n:
        if brace:
            return n, n, "unexpected end of input inside braces"
        if depth > 0:
            return n, n, "unclosed left parenthesis"
        if bracket:
            return n, n, "unclosed left bracket"
    return None


def bad_character(query: str, pos: int, allowed: set[str]) -> Problem:
    """A character no terminal of the current state accepts."""
    c = query[pos]
    if "LABEL_NAME" in allowed:
        return pos, len(query), f"unexpected character inside braces: {go_quote_rune(c)}"
    if {"STEP", "RANGE"} <= allowed and "IDENT" not in allowed:
        return pos, len(query), f"unexpected character in duration expression: {go_quote_rune(c)}"
    if "COLON" in allowed and "IDENT" not in allowed and _is_alpha(c):
        return pos, len(query), f"unexpected character: {go_quote_rune(c)}, expected ':'"
    return pos, len(query), f"unexpected character: {go_quote_rune(c)}"
