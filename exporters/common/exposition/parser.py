"""Parse Prometheus text 0.0.4 and OpenMetrics 1.0 payloads into a ``SampleBatch``.

Speed comes from not looking at lines one by one in Python:

1. Bulk: one compiled regex, ``findall`` over the whole buffer, matches every
   sample line written the common way; HELP/TYPE lines are found by searching
   for ``\\n#``. If the matched sample lines plus the ``#`` lines account for
   every line, each line was valid in shape. Values are converted in bulk by
   numpy, each distinct label block is parsed once.
2. Line by line: if anything was not in the common shape (blank lines, tabs,
   exemplars, quoted names, or an error), the payload is walked line by line;
   a line the regex does not take goes to the exact lexer (``lexer.py``), which
   reports syntax errors with line and column.

Either way the same assembly step (``assemble.py``) then checks what spans lines (families,
metadata order, ``le``/``quantile`` values, value ranges) and builds the
batch; an error found there is located by re-lexing the line in question.
"""

from __future__ import annotations

import gc
import re
from operator import add, itemgetter
from typing import Final, NoReturn

import numpy as np

from .assemble import Assembler, Columns, append_sample
from .batch import SampleBatch
from .blocks import Block, parse_canonical, unescape
from .compression import decompress
from .errors import ContentTypeError, ParseError
from .formats import (
    OPENMETRICS_TYPES,
    TEXT_TYPES,
    ExpositionFormat,
)
from .lexer import EOF, META, SAMPLE, Line, LineLexer
from .negotiation import format_for_content_type

_NAME: Final = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
#: Characters a value may have (digits, sign, dot, exponent, inf/infinity/nan);
#: the exact grammar is checked when converting.
_VALUE: Final = r"[0-9+\-.eEinftyaINFTYA]+"
#: (name, label block, value, timestamp); the series text is name + block.
_SAMPLE_TEXT_RE: Final = re.compile(
    rf"^({_NAME})(\{{[^}}\n]*\}})? ({_VALUE})(?: ([0-9+\-]+))?\n", re.MULTILINE
)
_SAMPLE_OM_RE: Final = re.compile(
    rf"^({_NAME})(\{{[^}}\n]*\}})? ({_VALUE})(?: ([0-9+\-.eE]+))?\n", re.MULTILINE
)
#: Only the spelling whose meaning is plain; anything else goes to the lexer
#: (e.g. text-format "# HELP name " registers the family without setting HELP).
_META_TEXT_RE: Final = re.compile(rf"# (HELP|TYPE) ({_NAME}) ([^ \t\n][^\n]*)")
_META_OM_RE: Final = re.compile(rf"# (HELP|TYPE|UNIT) ({_NAME}) ([^\n]*)")
_HELP_TEXT_RE: Final = re.compile(r'[^\\]*(?:\\[\\n"][^\\]*)*')
_HELP_OM_RE: Final = re.compile(r"[^\\]*(?:\\.[^\\]*)*")
_UNIT_RE: Final = re.compile(r"[a-zA-Z0-9_:]*")
_LINE_START_HASH_RE: Final = re.compile(r"\n#")


def parse(data: bytes | str, fmt: ExpositionFormat = ExpositionFormat.TEXT) -> SampleBatch:
    """Parse a whole payload; raises ``ParseError`` on any invalid input."""
    text = _decode(data)
    # The batch is ~10 new objects per sample, none of them cyclic; the cyclic
    # collector would walk them repeatedly while they are built (~15% of the
    # time), so it waits until the batch is complete.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Parser(text, fmt is ExpositionFormat.OPENMETRICS).run()
    finally:
        if collecting:
            gc.enable()


def parse_exact(data: bytes | str, fmt: ExpositionFormat = ExpositionFormat.TEXT) -> SampleBatch:
    """``parse`` with every line through the exact lexer and no regex front end:
    slow; the reference the fast paths are tested and fuzzed against."""
    return _Parser(_decode(data), fmt is ExpositionFormat.OPENMETRICS).run(fast=False)


def parse_response(
    body: bytes,
    content_type: str | None,
    content_encoding: str | None = None,
    *,
    fallback: ExpositionFormat | None = ExpositionFormat.TEXT,
    max_bytes: int | None = None,
) -> SampleBatch:
    """Parse an HTTP body: decompress it, pick the parser by Content-Type
    (``fallback`` when it names neither format; None refuses)."""
    fmt = format_for_content_type(content_type) or fallback
    if fmt is None:
        raise ContentTypeError(
            f"unsupported Content-Type {content_type!r}; expected text/plain "
            "or application/openmetrics-text"
        )
    return parse(decompress(body, content_encoding, max_bytes=max_bytes), fmt)


def parse_text(data: bytes | str) -> SampleBatch:
    """Parse Prometheus text format 0.0.4 (and 1.0.0's quoted UTF-8 names)."""
    return parse(data, ExpositionFormat.TEXT)


def parse_openmetrics(data: bytes | str) -> SampleBatch:
    """Parse OpenMetrics 1.0 text (``# EOF`` required and last)."""
    return parse(data, ExpositionFormat.OPENMETRICS)


def _decode(data: bytes | str) -> str:
    """Strict UTF-8, with the position of the first invalid byte in the error."""
    if isinstance(data, str):
        if data.isascii():
            return data
        try:
            data.encode("utf-8")  # lone surrogates: not UTF-8 on the wire
        except UnicodeEncodeError as exc:
            _utf8_error(data[: exc.start], f"invalid character U+{ord(data[exc.start]):04X}")
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        _utf8_error(prefix, f"invalid UTF-8 byte 0x{data[exc.start]:02x}")


def _utf8_error(prefix: str, reason: str) -> NoReturn:
    line_start = prefix.rfind("\n") + 1
    raise ParseError(prefix.count("\n") + 1, len(prefix) - line_start + 1, reason)


class _Parser:
    def __init__(self, text: str, openmetrics: bool) -> None:
        self.text = text
        self.om = openmetrics
        self.blocks: dict[str, Block] = {"": Block([])}
        self.lexer = LineLexer(text, openmetrics, self.blocks)
        self.sample_re = _SAMPLE_OM_RE if openmetrics else _SAMPLE_TEXT_RE

    def run(self, fast: bool = True) -> SampleBatch:
        cols = self._bulk() if fast else None
        if cols is None:
            cols = self._line_by_line(fast)
        return Assembler(cols, self.blocks, self.om, self.relex).build()

    # --- front end 1: the whole buffer at once --------------------------------

    def _bulk(self) -> Columns | None:
        text = self.text
        if self.om:
            end = _eof_line_start(text)
            if end < 0:
                return None
        else:
            end = len(text)
            if end and text[-1] != "\n":
                return None
        n_lines = text.count("\n", 0, end)
        records = self.sample_re.findall(text, 0, end)
        starts = [0] if end and text[0] == "#" else []
        starts += [m.start() + 1 for m in _LINE_START_HASH_RE.finditer(text, 0, end)]
        if len(records) + len(starts) != n_lines:
            return None
        cols = Columns()
        hash_lines = []
        line_index, last = 0, 0
        for start in starts:
            line_index += text.count("\n", last, start)
            last = start
            hash_lines.append(line_index)
            meta = self._meta_line(start, line_index + 1)
            if meta is not None:
                cols.metas.append(meta)
        cols.names = list(map(itemgetter(0), records))
        cols.blocks = list(map(itemgetter(1), records))
        cols.series = list(map(add, cols.names, cols.blocks))
        cols.values = list(map(itemgetter(2), records))
        if any(map(itemgetter(3), records)):
            cols.timestamps = list(map(itemgetter(3), records))
        cols.lines = np.delete(np.arange(1, n_lines + 1, dtype=np.int64), hash_lines)
        blocks = self.blocks
        cols.distinct_blocks = dict.fromkeys(cols.blocks)
        for block in cols.distinct_blocks:
            if block not in blocks:
                parsed = parse_canonical(block, self.om)
                if parsed is None:
                    return None
                blocks[block] = parsed
        return cols

    def _meta_line(self, start: int, line_no: int) -> tuple[int, str, str, str | None] | None:
        text = self.text
        end = text.index("\n", start)
        m = (_META_OM_RE if self.om else _META_TEXT_RE).fullmatch(text, start, end)
        if m is not None:
            keyword, name, raw = m.groups()
            if keyword == "HELP":
                if (_HELP_OM_RE if self.om else _HELP_TEXT_RE).fullmatch(raw):
                    return line_no, keyword, name, unescape(raw, self.om)
            elif keyword == "TYPE":
                if raw in (OPENMETRICS_TYPES if self.om else TEXT_TYPES):
                    return line_no, keyword, name, raw
            elif _UNIT_RE.fullmatch(raw):
                return line_no, keyword, name, raw
        line, _ = self.lexer.lex(start, line_no)
        if line is None:
            return None
        assert line.kind == META
        return line_no, line.keyword, line.name, line.text

    # --- front end 2: line by line --------------------------------------------

    def _line_by_line(self, fast: bool) -> Columns:
        text, n = self.text, len(self.text)
        blocks, om = self.blocks, self.om
        cols = Columns()
        lines: list[int] = []
        match = self.sample_re.match if fast else _no_match
        pos, line_no, seen_eof = 0, 1, False
        while pos < n:
            m = match(text, pos)
            if m is not None:
                block = m.group(2)
                if block is not None and block not in blocks:
                    parsed = parse_canonical(block, om)
                    if parsed is None:
                        m = None
                    else:
                        blocks[block] = parsed
            if m is not None:
                name, block, value, ts = m.groups("")
                pos = m.end()
                append_sample(cols, name + block, name, block, value, ts)
                lines.append(line_no)
            else:
                line, pos = self.lexer.lex(pos, line_no)
                if line is None:
                    pass
                elif line.kind == SAMPLE:
                    append_sample(cols, line.series, line.name, line.block, line.value, line.ts)
                    lines.append(line_no)
                    if line.exemplar_col:
                        cols.exemplars.append(len(cols.names) - 1)
                elif line.kind == META:
                    cols.metas.append((line_no, line.keyword, line.name, line.text))
                else:
                    assert line.kind == EOF
                    seen_eof = True
            line_no += 1
        if om and not seen_eof:
            self.lexer.lex(n, line_no)  # raises: no "# EOF"
        cols.lines = lines
        return cols

    # --- locating errors found after lexing -----------------------------------

    def relex(self, line_no: int) -> Line:
        """Lex line ``line_no`` again to learn its columns (raises if it is invalid)."""
        pos = 0
        for _ in range(line_no - 1):
            pos = self.text.index("\n", pos) + 1
        line, _ = self.lexer.lex(pos, line_no)
        assert line is not None
        return line


def _no_match(text: str, pos: int) -> re.Match[str] | None:
    return None


def _eof_line_start(text: str) -> int:
    """Where a final ``# EOF`` line starts, or -1 if the payload does not end with one."""
    if text.endswith("# EOF\n"):
        start = len(text) - 6
    elif text.endswith("# EOF"):
        start = len(text) - 5
    else:
        return -1
    return start if start == 0 or text[start - 1] == "\n" else -1
