"""The exact lexer: one line at a time, character by character.

It is the authority on syntax. The parser's fast path only accepts lines it
is sure about and hands everything else here; every ``ParseError`` about
syntax is raised here, with the line, the column and what was expected. It
also gives the columns of a line's parts when the parser finds a semantic
error (second TYPE, bad ``le``, ...) and needs to point at it.

Text format 0.0.4 follows client_golang's expfmt parser (blanks and tabs
between tokens, ``#`` comments, blank lines, a trailing comma in label sets,
quoted UTF-8 names). It is stricter in one place: a bare metric name must be
followed by a blank or ``{`` (expfmt reads ``foo-1 2`` as ``foo`` = -1 at 2).
OpenMetrics follows the 1.0 ABNF: single spaces, no blank lines, no comments
other than HELP/TYPE/UNIT, no trailing comma, ``# EOF`` last.
"""

from __future__ import annotations

import re
from typing import Final, NoReturn

from .blocks import Block
from .errors import ParseError
from .formats import OPENMETRICS_TYPES, TEXT_TYPES
from .numbers import (
    float_problem,
    int_timestamp_problem,
    parse_float,
    parse_int_timestamp,
    parse_seconds_timestamp,
    seconds_timestamp_problem,
    show,
)

SAMPLE: Final = 1
META: Final = 2
EOF: Final = 3

_METRIC_NAME_RE: Final = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME_RE: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_BLANKS_RE: Final = re.compile(r"[ \t]*")
_TOKEN_TEXT_RE: Final = re.compile(r"[^ \t\n]*")
_TOKEN_OM_RE: Final = re.compile(r"[^ \n]*")
_STRING_STOP_RE: Final = re.compile(r'["\\\n]')
_UNIT_RE: Final = re.compile(r"[a-zA-Z0-9_:]*")
_UNESCAPES: Final = {"\\": "\\", '"': '"', "n": "\n"}
_MAX_EXEMPLAR_CHARS: Final = 128
_MISSING_NEWLINE: Final = 'expected "\\n" at end of line, got end of input'


class Line:
    """What one line holds. Columns are 1-based, in characters."""

    __slots__ = (
        "block",
        "exemplar_col",
        "keyword",
        "kind",
        "label_cols",
        "name",
        "name_col",
        "series",
        "text",
        "text_col",
        "ts",
        "ts_col",
        "value",
        "value_col",
    )

    def __init__(self, kind: int) -> None:
        self.kind = kind
        self.name = ""
        self.name_col = 0
        # samples
        self.series = ""
        self.block = ""
        self.value = ""
        self.value_col = 0
        self.ts = ""
        self.ts_col = 0
        self.exemplar_col = 0
        self.label_cols: dict[str, int] = {}
        # HELP / TYPE / UNIT; ``text`` is None for a text-format "# HELP name" with
        # nothing after the name (expfmt then only registers the family)
        self.keyword = ""
        self.text: str | None = None
        self.text_col = 0


class LineLexer:
    """Lexes the line starting at ``pos`` of ``text`` (see ``lex``)."""

    def __init__(self, text: str, openmetrics: bool, blocks: dict[str, Block]) -> None:
        self.text = text
        self.n = len(text)
        self.om = openmetrics
        #: parsed label blocks by their text as written; shared with the parser
        self.blocks = blocks
        self._token_re = _TOKEN_OM_RE if openmetrics else _TOKEN_TEXT_RE
        self._line_no = 0
        self._start = 0

    def lex(self, pos: int, line_no: int) -> tuple[Line | None, int]:
        """``(line, next_pos)``; ``line`` is None for a blank line or a comment."""
        self._line_no = line_no
        self._start = pos
        if self.om:
            return self._om_line(pos)
        pos = self._blanks(pos)
        if pos >= self.n:
            return None, self.n  # blanks after the last newline: fine, as in expfmt
        ch = self.text[pos]
        if ch == "\n":
            return None, pos + 1
        if ch == "#":
            return self._text_comment(pos)
        return self._sample(pos)

    # --- helpers ------------------------------------------------------------

    def fail(self, pos: int, reason: str) -> NoReturn:
        raise ParseError(self._line_no, pos - self._start + 1, reason)

    def _col(self, pos: int) -> int:
        return pos - self._start + 1

    def _got(self, pos: int) -> str:
        if pos >= self.n:
            return "end of input"
        ch = self.text[pos]
        return "end of line" if ch == "\n" else show(ch)

    def _blanks(self, pos: int) -> int:
        if self.om:
            return pos
        m = _BLANKS_RE.match(self.text, pos)
        assert m is not None
        return m.end()

    def _line_end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        if end < 0:
            self.fail(self.n, _MISSING_NEWLINE)
        return end

    def _quoted(self, pos: int, what: str) -> tuple[str, int]:
        """The string opened by the quote at ``pos``, decoded, and the position after it."""
        text = self.text
        parts = []
        q = pos + 1
        while True:
            m = _STRING_STOP_RE.search(text, q)
            if m is None or m.group() == "\n":
                end = self.n if m is None else m.start()
                self.fail(end, f"expected '\"' to close {what}, got {self._got(end)}")
            i = m.start()
            parts.append(text[q:i])
            if m.group() == '"':
                return "".join(parts), i + 1
            escaped = text[i + 1] if i + 1 < self.n else ""
            if escaped in _UNESCAPES:
                parts.append(_UNESCAPES[escaped])
            elif self.om and escaped not in ("", "\n"):
                parts.append("\\" + escaped)  # OpenMetrics: an unknown escape stands for itself
            else:
                self.fail(
                    i,
                    f"invalid escape sequence {show(chr(92) + escaped)} in {what}; "
                    'expected \\\\, \\" or \\n',
                )
            q = i + 2

    def _metric_name(self, pos: int) -> tuple[str, int] | None:
        if pos < self.n and self.text[pos] == '"':
            name, end = self._quoted(pos, "metric name")
            if not name:
                self.fail(pos, "metric name must not be empty")
            return name, end
        m = _METRIC_NAME_RE.match(self.text, pos)
        return None if m is None else (m.group(), m.end())

    def _token(self, pos: int) -> tuple[str, int]:
        m = self._token_re.match(self.text, pos)
        assert m is not None
        return m.group(), m.end()

    # --- text format comments -------------------------------------------------

    def _text_comment(self, pos: int) -> tuple[Line | None, int]:
        text = self.text
        p = self._blanks(pos + 1)
        keyword, p = self._token(p)
        if p >= self.n:
            self.fail(p, _MISSING_NEWLINE)
        if keyword not in ("HELP", "TYPE") or text[p] == "\n":
            return None, self._line_end(p) + 1  # a plain comment
        p = self._blanks(p)
        if p < self.n and text[p] == "\n":
            return None, p + 1
        named = self._metric_name(p)
        if named is None:
            self.fail(p, f"expected metric name after {keyword}, got {self._got(p)}")
        line = Line(META)
        line.keyword = keyword
        line.name, end = named
        line.name_col = self._col(p)
        if end >= self.n:
            self.fail(end, _MISSING_NEWLINE)
        if text[end] == "\n":
            return None, end + 1  # expfmt ignores "# HELP name" without text
        if text[end] not in " \t":
            self.fail(end, f'expected " " after metric name, got {self._got(end)}')
        p = self._blanks(end)
        eol = self._line_end(p)
        if p == eol:
            return line, eol + 1  # "# HELP name " registers the family only
        raw = text[p:eol]
        line.text_col = self._col(p)
        if keyword == "HELP":
            line.text = self._help(raw, p)
        else:
            line.text = raw.lower()  # expfmt matches TYPE words case-insensitively
            if line.text not in TEXT_TYPES:
                self.fail(
                    p,
                    f"unknown metric type {show(raw)}; expected counter, gauge, "
                    "histogram, summary or untyped",
                )
        return line, eol + 1

    def _help(self, raw: str, pos: int) -> str:
        """Decode HELP text: text format allows \\\\ \\n \\" only, OpenMetrics any escape."""
        out = []
        i = 0
        while True:
            j = raw.find("\\", i)
            if j < 0:
                out.append(raw[i:])
                return "".join(out)
            out.append(raw[i:j])
            escaped = raw[j + 1 : j + 2]
            if escaped in _UNESCAPES:
                out.append(_UNESCAPES[escaped])
            elif self.om and escaped:
                out.append("\\" + escaped)
            else:
                self.fail(
                    pos + j,
                    f"invalid escape sequence {show(chr(92) + escaped)} in HELP "
                    'text; expected \\\\, \\" or \\n',
                )
            i = j + 2

    # --- OpenMetrics lines ----------------------------------------------------

    def _om_line(self, pos: int) -> tuple[Line | None, int]:
        text = self.text
        if pos >= self.n:
            self.fail(pos, 'expected "# EOF" at end of input, got end of input')
        ch = text[pos]
        if ch == "#":
            return self._om_meta(pos)
        if ch == "\n":
            self.fail(
                pos,
                'expected metric name or "#", got end of line (OpenMetrics allows no blank lines)',
            )
        return self._sample(pos)

    def _om_meta(self, pos: int) -> tuple[Line | None, int]:
        text = self.text
        if not text.startswith(" ", pos + 1):
            self.fail(pos + 1, f'expected " " after "#", got {self._got(pos + 1)}')
        p = pos + 2
        if text.startswith("EOF", p):
            end = p + 3
            if end < self.n and text[end] != "\n":
                self.fail(end, f'expected end of line after "# EOF", got {self._got(end)}')
            if end + 1 < self.n:
                raise ParseError(
                    self._line_no + 1,
                    1,
                    f'expected end of input after "# EOF", got {self._got(end + 1)}',
                )
            return Line(EOF), self.n
        keyword = text[p : p + 4]
        if keyword not in ("HELP", "TYPE", "UNIT") or not text.startswith(" ", p + 4):
            word, _ = self._token(p)
            self.fail(
                p,
                'expected HELP, TYPE, UNIT or EOF after "# " (OpenMetrics allows '
                f"no other comments), got {show(word) if word else self._got(p)}",
            )
        p += 5
        named = self._metric_name(p)
        if named is None:
            self.fail(p, f"expected metric name after {keyword}, got {self._got(p)}")
        line = Line(META)
        line.keyword = keyword
        line.name, end = named
        line.name_col = self._col(p)
        if end >= self.n or text[end] != " ":
            self.fail(end, f'expected " " after metric name, got {self._got(end)}')
        eol = self._line_end(end + 1)
        raw = text[end + 1 : eol]
        line.text_col = self._col(end + 1)
        if keyword == "HELP":
            line.text = self._help(raw, end + 1)
        elif keyword == "TYPE":
            if raw not in OPENMETRICS_TYPES:
                self.fail(
                    end + 1,
                    f"unknown metric type {show(raw)}; expected one of "
                    + ", ".join(sorted(OPENMETRICS_TYPES)),
                )
            line.text = raw
        else:
            m = _UNIT_RE.match(raw)
            assert m is not None
            if m.end() != len(raw):
                self.fail(
                    end + 1 + m.end(),
                    f"expected unit characters [a-zA-Z0-9_:], got {show(raw[m.end()])}",
                )
            line.text = raw
        return line, eol + 1

    # --- samples --------------------------------------------------------------

    def _sample(self, pos: int) -> tuple[Line, int]:
        text = self.text
        line = Line(SAMPLE)
        if text[pos] == "{":
            name, end = self._labels(pos, line, braces_name=True)
            if name is None:
                self.fail(
                    pos + 1, 'expected a quoted metric name in "{...}" (no metric name before it)'
                )
            line.name = name
            block_start = pos
        else:
            m = _METRIC_NAME_RE.match(text, pos)
            if m is None:
                expected = 'metric name or "#"' if self.om else "metric name"
                self.fail(pos, f"expected {expected}, got {self._got(pos)}")
            line.name = m.group()
            line.name_col = self._col(pos)
            end = block_start = m.end()
            if not self.om:
                block_start = self._blanks(end)
            if block_start < self.n and text[block_start] == "{":
                _, end = self._labels(block_start, line, braces_name=False)
            else:
                block_start = end
        line.series = text[pos:end]
        line.block = text[block_start:end]
        # separator, then the value
        if self.om:
            if end >= self.n or text[end] != " ":
                after = "labels" if line.block else "metric name"
                self.fail(end, f'expected " " after {after}, got {self._got(end)}')
            p = end + 1
        else:
            p = self._blanks(end)
            if p == end and not line.block:
                self.fail(p, f'expected " " or "{{" after metric name, got {self._got(p)}')
        value, p_end = self._token(p)
        if not value:
            self.fail(p, f"expected value, got {self._got(p)}")
        if parse_float(value) is None:
            self.fail(p, float_problem(value))
        line.value = value
        line.value_col = self._col(p)
        p = p_end
        if p >= self.n:
            self.fail(p, _MISSING_NEWLINE)
        if text[p] == "\n":
            return line, p + 1
        p = self._om_sample_tail(p, line) if self.om else self._text_timestamp(p, line)
        if p >= self.n:
            self.fail(p, _MISSING_NEWLINE)
        if text[p] != "\n":
            eol = text.find("\n", p)
            rest = text[p : eol if eol >= 0 else self.n]
            after = "exemplar" if line.exemplar_col else "timestamp"
            self.fail(p, f"expected end of line after {after}, got {show(rest)}")
        return line, p + 1

    def _text_timestamp(self, p: int, line: Line) -> int:
        q = self._blanks(p)
        token, end = self._token(q)
        if not token:
            if q >= self.n:
                self.fail(q, _MISSING_NEWLINE)
            self.fail(p, f"expected timestamp or end of line after value, got {show(self.text[p])}")
        if parse_int_timestamp(token) is None:
            self.fail(q, int_timestamp_problem(token))
        line.ts = token
        line.ts_col = self._col(q)
        return end

    def _om_sample_tail(self, p: int, line: Line) -> int:
        """After ``value`` at a space: ``[SP timestamp] [SP # exemplar]``."""
        text = self.text
        q = p + 1
        if not text.startswith("#", q):
            token, end = self._token(q)
            if not token:
                self.fail(q, f'expected timestamp or "#", got {self._got(q)}')
            if parse_seconds_timestamp(token) is None:
                self.fail(q, seconds_timestamp_problem(token))
            line.ts = token
            line.ts_col = self._col(q)
            if end >= self.n or text[end] != " ":
                return end
            q = end + 1
            if not text.startswith("#", q):
                self.fail(q, f'expected "#" to start an exemplar, got {self._got(q)}')
        return self._exemplar(q, line)

    def _exemplar(self, pos: int, line: Line) -> int:
        text = self.text
        line.exemplar_col = self._col(pos)
        if not text.startswith(" ", pos + 1):
            self.fail(pos + 1, f'expected " " after "#", got {self._got(pos + 1)}')
        if not text.startswith("{", pos + 2):
            self.fail(pos + 2, f'expected "{{" to start exemplar labels, got {self._got(pos + 2)}')
        probe = Line(SAMPLE)
        _, end = self._labels(pos + 2, probe, braces_name=False, exemplar=True)
        if end >= self.n or text[end] != " ":
            self.fail(end, f'expected " " after exemplar labels, got {self._got(end)}')
        value, p = self._token(end + 1)
        if not value:
            self.fail(end + 1, f"expected exemplar value, got {self._got(end + 1)}")
        if parse_float(value) is None:
            self.fail(end + 1, float_problem(value))
        if p < self.n and text[p] == " ":
            token, q = self._token(p + 1)
            if not token:
                self.fail(p + 1, f"expected exemplar timestamp, got {self._got(p + 1)}")
            if parse_seconds_timestamp(token) is None:
                self.fail(p + 1, seconds_timestamp_problem(token, "exemplar timestamp"))
            p = q
        return p

    def _labels(
        self, pos: int, line: Line, *, braces_name: bool, exemplar: bool = False
    ) -> tuple[str | None, int]:
        """The label block opened at ``pos``; records it in ``self.blocks`` and the
        label value columns in ``line``. Returns the metric name written inside the
        braces (``{"my.metric",a="b"}``), if any, and the position after ``}``."""
        text = self.text
        om = self.om
        p = pos + 1
        name: str | None = None
        pairs: list[tuple[str, str]] = []
        seen: set[str] = set()
        after_comma = False
        while True:
            p = self._blanks(p)
            if p >= self.n:
                self.fail(p, f'expected label name or "}}", got {self._got(p)}')
            if text[p] == "}":
                if om and after_comma:
                    self.fail(
                        p,
                        'expected label name after ",", got "}" (OpenMetrics allows '
                        "no trailing comma)",
                    )
                p += 1
                break
            item = p
            if text[p] == '"':
                label, p = self._quoted(p, "label name")
                quoted = True
            else:
                m = _LABEL_NAME_RE.match(text, p)
                if m is None:
                    self.fail(p, f'expected label name or "}}", got {self._got(p)}')
                label, p, quoted = m.group(), m.end(), False
            p = self._blanks(p)
            ch = text[p] if p < self.n else ""
            if quoted and braces_name and ch in (",", "}"):
                if name is not None:
                    self.fail(item, f"metric name given twice, got {show(label)}")
                if not label:
                    self.fail(item, "metric name must not be empty")
                name = label
                line.name_col = self._col(item)
            else:
                if ch != "=":
                    self.fail(p, f'expected "=" after label name, got {self._got(p)}')
                if not label:
                    self.fail(item, "label name must not be empty")
                if label == "__name__":
                    self.fail(item, 'label name "__name__" is reserved')
                if label in seen:
                    self.fail(item, f"duplicate label name {show(label)}")
                p = self._blanks(p + 1)
                if p >= self.n or text[p] != '"':
                    self.fail(p, f"expected '\"' to start label value, got {self._got(p)}")
                line.label_cols[label] = self._col(p)
                value, p = self._quoted(p, "label value")
                pairs.append((label, value))
                seen.add(label)
                p = self._blanks(p)
                ch = text[p] if p < self.n else ""
            if ch == ",":
                p += 1
                after_comma = True
                continue
            if ch != "}":
                self.fail(p, f'expected "," or "}}" after label, got {self._got(p)}')
            after_comma = False
        if exemplar:
            length = sum(len(n) + len(v) for n, v in pairs)
            if length > _MAX_EXEMPLAR_CHARS:
                self.fail(
                    pos,
                    f"exemplar labels have {length} characters, at most "
                    f"{_MAX_EXEMPLAR_CHARS} are allowed",
                )
        else:
            raw = text[pos:p]
            if raw not in self.blocks:
                self.blocks[raw] = Block(pairs)
        return name, p
