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

from lab.model.gostr import go_quote, go_quote_rune
from lab.server.promql.parser.literals import LiteralError, parse_duration_ms

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
#: keyword text -> the terminal that spells it (for describing identifiers)
KEYWORD_TOKENS = {
    **{w: w.upper() for w in ("bool", "by", "without", "on", "ignoring", "group_left")},
    **{w: w.upper() for w in ("group_right", "offset", "anchored", "smoothed")},
    **{w: w.upper() for w in ("fill", "fill_left", "fill_right", "and", "or", "unless")},
    **{w: w.upper() for w in ("atan2", "start", "end", "step", "range", "min_of", "max_of")},
    **{w: "AGG_OP" for w in ("sum", "avg", "count", "min", "max", "group", "stddev")},
    **{w: "AGG_OP" for w in ("stdvar", "topk", "bottomk", "count_values", "quantile")},
    **{w: "AGG_OP" for w in ("limitk", "limit_ratio")},
    "inf": "NUMBER",
    "nan": "NUMBER",
}
#: keywords upstream never accepts as a metric or function name
RESERVED_NAMES = frozenset({"bool", "on", "ignoring", "group_left", "group_right", "atan2"})

_PUNCT = frozenset(
    {"LPAREN", "RPAREN", "LBRACE", "RBRACE", "LBRACKET", "RBRACKET", "COMMA", "COLON"}
)


def describe_token(tok: Token) -> str:
    """Upstream's ``Item.desc()`` for the token lark stopped at."""
    kind = tok.type
    text = str(tok)
    if kind == "$END":
        return "end of input"
    if kind in ("IDENT", "LABEL"):
        # Outside braces upstream's lexer makes every keyword a keyword.
        kind = KEYWORD_TOKENS.get(text.lower(), kind)
    if kind in ("IDENT", "LABEL", "LABEL_NAME"):
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
    if {"LABEL", "STRING"} <= e:
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


# A keyword, then maybe a duration function name missing its "()".
_PREV_TOKEN = re.compile(
    r"(\[|offset|@)[ \t\r\n]*(?:(?:step|range|min_of|max_of)[ \t\r\n]*)?\Z", re.IGNORECASE
)


def previous_keyword(query: str, pos: int) -> str | None:
    """``[``, ``offset`` or ``@`` if that is what stands right before ``pos``
    (``x offset step`` counts: upstream reports the offset, not the call)."""
    m = _PREV_TOKEN.search(query, 0, pos)
    if m is None:
        return None
    word = m.group(1).lower()
    if word == "offset" and m.start() > 0 and re.match(r"[a-zA-Z0-9_:]", query[m.start() - 1]):
        return None
    return word


# -- lexer-level problems -----------------------------------------------------------

_SPACE = " \t\r\n"
_DURATION_KEYWORDS = ("step", "range", "min_of", "max_of")


def _is_alpha(c: str) -> bool:
    return c == "_" or ("a" <= c <= "z") or ("A" <= c <= "Z")


def _is_alnum(c: str) -> bool:
    return _is_alpha(c) or "0" <= c <= "9"


def _number_text(q: str, i: int) -> tuple[int, bool]:
    """Scan a number or duration at ``i`` like upstream's lexer: (end, ok).

    On failure ``end`` is where upstream stops, so that the quoted text in
    "bad number or duration syntax" is the same.
    """
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
        j += 1
        if c == ".":
            if dot or len(digits) > 10:
                return j, False
            dot = True
            if j < n and q[j] in "_.":
                return j + 1, False
        elif c in "eE" and c not in digits:
            if exp:
                return j, False
            exp = True
            if j < n and q[j] in "+-":
                j += 1
            if j >= n or q[j] in "._eE":
                return min(j + 1, n), False
        elif c == "_" and (j >= n or q[j] in "._eE"):
            return min(j + 1, n), False
    if j > i and (j >= n or not _is_alnum(q[j])):
        return j, True
    # Not a number: a duration needs a unit (smhdwy, then "s" for ms) next.
    if j >= n or q[j] not in "smhdwy":
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


def _skip_string(q: str, i: int) -> tuple[int, str | None]:
    """The end of the string literal at ``i``, or an error message."""
    quote = q[i]
    j = i + 1
    n = len(q)
    while j < n and q[j] != quote:
        if quote != "`" and q[j] == "\n":
            return j, "unterminated quoted string"
        if quote != "`" and q[j] == "\\":
            j += 1
            if j >= n:
                return j, "escape sequence not terminated"
        j += 1
    if j >= n:
        return j, "unterminated raw string" if quote == "`" else "unterminated quoted string"
    return j + 1, None


def lexer_error(query: str, fail_pos: int) -> Problem | None:
    """The first problem upstream's lexer reports at or before ``fail_pos``."""
    q = query
    n = len(q)
    i = 0
    depth = 0
    brace = bracket = duration = False  # duration: right after "[", before a number
    while i < n and i <= fail_pos:
        c = q[i]
        if c in _SPACE:
            i += 1
            continue
        if c == "#" and not bracket:
            while i < n and q[i] not in "\r\n":
                i += 1
            continue
        if c in "\"'`" and not duration:
            start = i
            i, problem = _skip_string(q, i)
            if problem is not None:
                return start, n, problem
            continue
        if brace:
            if _is_alpha(c):
                while i < n and _is_alnum(q[i]):
                    i += 1
                continue
            if c == "}":
                brace = False
            elif c == "=":
                i += 1 if i + 1 < n and q[i + 1] == "~" else 0
            elif c == "!":
                nxt = q[i + 1] if i + 1 < n else " "
                if nxt not in "~=":
                    shown = go_quote_rune(nxt)
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
            if i <= fail_pos < end:
                # Lexed as a duration upstream (such as "1.5m"), which then fails.
                try:
                    parse_duration_ms(q[i:end])
                except LiteralError as exc:
                    return i, end, str(exc)
            i = end
            duration = False
            continue
        if bracket and (_is_alpha(c) or c == ":"):
            word = re.match(r"[a-zA-Z_]+", q[i:])
            if c != ":" and (word is None or word.group(0).lower() not in _DURATION_KEYWORDS):
                if duration:
                    return i, n, f"unexpected character in duration expression: {go_quote_rune(c)}"
                return i, n, f"unexpected character: {go_quote_rune(c)}, expected ':'"
            i += 1 if word is None else len(word.group(0))
            continue
        if duration and c not in "()+-*/%^,:]":
            return i, n, f"unexpected character in duration expression: {go_quote_rune(c)}"
        if _is_alpha(c) or c == ":":
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
            bracket = duration = True
        elif c == "]":
            if not bracket:
                return i + 1, n, "unexpected right bracket ']'"
            bracket = duration = False
        elif c == "=":
            if i + 1 < n and q[i + 1] == "~":
                return i, n, "unexpected character after '=': '~'"
            i += 1 if i + 1 < n and q[i + 1] == "=" else 0
        elif c == "!":
            nxt = q[i + 1] if i + 1 < n else " "
            if nxt != "=":
                return i, n, f"unexpected character after '!': {go_quote_rune(nxt)}"
            i += 1
        elif c in "<>":
            i += 1 if i + 1 < n and q[i + 1] in "=/" else 0
        elif c not in ",*/%+-^@":
            return i, n, f"unexpected character: {go_quote_rune(c)}"
        i += 1
    if fail_pos >= n:
        if brace:
            return n, n, "unexpected end of input inside braces"
        if duration:
            return n, n, "unexpected end of input in duration expression"
        if depth > 0:
            return n, n, "unclosed left parenthesis"
        if bracket:
            return n, n, "unclosed left bracket"
    return None


def in_brackets(query: str, pos: int) -> bool:
    """Whether ``pos`` is inside ``[...]`` (strings aside, which cannot be there)."""
    return query.rfind("[", 0, pos) > query.rfind("]", 0, pos)


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
