"""Parse PromQL text into the AST (``parse``), plus the small parsers the rest
of the lab needs: ``parse_duration`` and ``parse_series_selector``.

The lark LALR parser is built on first use and cached (``functools.cache``;
lark's own ``cache=True`` also keeps the grammar analysis on disk), so
importing this module does no work.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from lark import Lark, Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import UnexpectedEOF

from lab.model.matcher import Matcher
from lab.server.promql.errors import ParseError, ParseErrorDetail
from lab.server.promql.parser.ast import Expr, VectorSelector
from lab.server.promql.parser.checks import check
from lab.server.promql.parser.errortext import (
    RESERVED_NAMES,
    after_keyword,
    bad_character,
    describe_token,
    describe_unexpected,
    in_brackets,
    lexer_error,
    previous_keyword,
)
from lab.server.promql.parser.literals import LiteralError
from lab.server.promql.parser.literals import parse_duration as _parse_duration
from lab.server.promql.parser.transform import ParseProblem, PromQLTransformer

__all__ = ["SeriesSelector", "parse", "parse_duration", "parse_series_selector"]

_BLANK = re.compile(r"(?:[ \t\r\n]+|#[^\r\n]*)*")


@functools.cache
def _parser() -> Lark:
    grammar = Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=PromQLTransformer(),
        maybe_placeholders=True,
        lexer_callbacks={"IDENT": _reject_reserved},
        cache=True,
    )


def _error(query: str, start: int, end: int, message: str) -> ParseError:
    return ParseError([ParseErrorDetail(start, end, message, query)])


def parse(query: str) -> Expr:
    """Parse and type-check a PromQL expression.

    Raises :class:`ParseError` whose ``str()`` is upstream's
    ``1:12: parse error: ...``.
    """
    if _BLANK.fullmatch(query):
        raise _error(query, 0, 0, "no expression found in input")
    try:
        expr = cast(Expr, _parser().parse(query))
    except ParseProblem as p:
        raise _error(query, p.start, p.end, p.message) from None
    except UnexpectedInput as exc:
        start, end, message = _syntax_error(query, exc)
        raise _error(query, start, end, message) from None
    try:
        check(expr, query)
    except ParseProblem as p:
        raise _error(query, p.start, p.end, p.message) from None
    return expr


def _syntax_error(query: str, exc: UnexpectedInput) -> tuple[int, int, str]:
    if isinstance(exc, UnexpectedToken):
        tok: Token = exc.token
        at = len(query) if tok.type == "$END" else int(tok.start_pos or 0)
    else:
        at = int(exc.pos_in_stream or 0)
    # Upstream's lexer runs ahead of its parser and words its own problems.
    lexer = lexer_error(query, at)
    if lexer is not None:
        return lexer
    if isinstance(exc, UnexpectedCharacters):
        return bad_character(query, at, set(exc.allowed or ()))
    if isinstance(exc, UnexpectedToken):
        expected = set(exc.expected or ())
        keyword = previous_keyword(query, at)
        if keyword is None and in_brackets(query, at) and expected <= _DURATION_START:
            keyword = "["
        if keyword is not None:
            problem = after_keyword(query, exc.token, expected, keyword)
            if problem is not None:
                return problem
        return describe_unexpected(query, exc.token, expected)
    if isinstance(exc, UnexpectedEOF):
        return len(query), len(query), "unexpected end of input"
    return 0, len(query), str(exc)


#: what a duration may start with (and what may follow step, range, min_of, max_of)
_DURATION_START = frozenset(
    {"NUMBER", "DURATION", "LPAREN", "PLUS", "MINUS", "STEP", "RANGE", "MIN_OF", "MAX_OF"}
)


def _reject_reserved(tok: Token) -> Token:
    """``on``, ``bool``, ``ignoring`` ... are never metric or function names upstream."""
    if str(tok).lower() in RESERVED_NAMES:
        raise ParseProblem(
            int(tok.start_pos or 0), int(tok.end_pos or 0), "unexpected " + describe_token(tok)
        )
    return tok


def parse_duration(text: str) -> float:
    """Seconds of a duration string (``5m``, ``1h30m``, ``10ms``; ``90`` is 90 s).

    Raises :class:`ValueError` (a ``LiteralError``) with upstream's message.
    """
    return _parse_duration(text)


@dataclass(frozen=True, slots=True)
class SeriesSelector:
    """A metric selector (``match[]`` parameter, ``load`` line series)."""

    name: str | None
    matchers: tuple[Matcher, ...]


def parse_series_selector(text: str) -> SeriesSelector:
    """Parse a bare vector selector such as ``up{job="x"}`` or ``{"a.b"="c"}``.

    Raises :class:`ParseError` if ``text`` is anything else.
    """
    expr = parse(text)
    if not isinstance(expr, VectorSelector) or expr.offset or expr.at:
        raise _error(text, 0, len(text), "expected a series selector")
    return SeriesSelector(expr.name, expr.matchers)


__all__ += ["LiteralError"]
