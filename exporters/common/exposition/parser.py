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

Either way the same assembly step then checks what spans lines (families,
metadata order, ``le``/``quantile`` values, value ranges) and builds the
batch; an error found there is located by re-lexing the line in question.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from operator import add, itemgetter
from typing import Final, NoReturn

import numpy as np
import numpy.typing as npt

from lab.model.labels import METRIC_NAME, Labels

from .batch import NO_TIMESTAMP, FamilyMeta, SampleBatch
from .blocks import Block, parse_canonical, unescape
from .compression import decompress
from .errors import ContentTypeError, ParseError
from .formats import (
    EXEMPLAR_SAMPLES,
    NUMERIC_LABEL,
    OPENMETRICS_SUFFIXES,
    OPENMETRICS_TYPES,
    TEXT_TYPES,
    ExpositionFormat,
)
from .lexer import EOF, META, SAMPLE, Line, LineLexer
from .negotiation import format_for_content_type
from .numbers import parse_float, parse_int_timestamp, parse_seconds_timestamp, show

_NAME: Final = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
#: Characters a value may have (digits, sign, dot, exponent, inf/infinity/nan);
#: the exact grammar is checked when converting.
_VALUE: Final = r"[0-9+\-.eEinftyaINFTYA]+"
_SAMPLE_TEXT_RE: Final = re.compile(
    rf"^(({_NAME})(\{{[^}}\n]*\}})?) ({_VALUE})(?: ([0-9+\-]+))?\n", re.MULTILINE
)
_SAMPLE_OM_RE: Final = re.compile(
    rf"^(({_NAME})(\{{[^}}\n]*\}})?) ({_VALUE})(?: ([0-9+\-.eE]+))?\n", re.MULTILINE
)
#: Only the spelling whose meaning is plain; anything else goes to the lexer
#: (e.g. text-format "# HELP name " registers the family without setting HELP).
_META_TEXT_RE: Final = re.compile(rf"# (HELP|TYPE) ({_NAME}) ([^ \t\n][^\n]*)")
_META_OM_RE: Final = re.compile(rf"# (HELP|TYPE|UNIT) ({_NAME}) ([^\n]*)")
_HELP_TEXT_RE: Final = re.compile(r'[^\\]*(?:\\[\\n"][^\\]*)*')
_HELP_OM_RE: Final = re.compile(r"[^\\]*(?:\\.[^\\]*)*")
_UNIT_RE: Final = re.compile(r"[a-zA-Z0-9_:]*")
_LINE_START_HASH_RE: Final = re.compile(r"\n#")

_ALL_OM_SUFFIXES: Final = tuple(sorted({s for v in OPENMETRICS_SUFFIXES.values() for s in v}))
#: Text format: which suffixes attach a sample to a summary / histogram family (expfmt).
_TEXT_SUFFIXES: Final = (
    ("summary", ("_count", "_sum")),
    ("histogram", ("_count", "_sum", "_bucket")),
)


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


@dataclass
class _Columns:
    """Sample lines in columns, plus the metadata lines, as the two front ends give them."""

    series: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)
    lines: list[int] | npt.NDArray[np.int64] = field(default_factory=list)
    #: (line number, keyword, family name, text or None)
    metas: list[tuple[int, str, str, str | None]] = field(default_factory=list)
    #: indices of samples that carry an exemplar
    exemplars: list[int] = field(default_factory=list)


@dataclass
class _Family:
    name: str
    start_line: int
    type: str | None = None
    typed: bool = False  # TYPE line seen (text format: else the type came from samples)
    help: str | None = None
    unit: str | None = None
    has_samples: bool = False
    metadata: set[str] = field(default_factory=set)


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
        return _Assembler(self, cols).build()

    # --- front end 1: the whole buffer at once --------------------------------

    def _bulk(self) -> _Columns | None:
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
        cols = _Columns()
        hash_lines = []
        line_index, last = 0, 0
        for start in starts:
            line_index += text.count("\n", last, start)
            last = start
            hash_lines.append(line_index)
            meta = self._meta_line(start, line_index + 1)
            if meta is not None:
                cols.metas.append(meta)
        cols.series = list(map(itemgetter(0), records))
        cols.names = list(map(itemgetter(1), records))
        cols.blocks = list(map(itemgetter(2), records))
        cols.values = list(map(itemgetter(3), records))
        cols.timestamps = list(map(itemgetter(4), records))
        cols.lines = np.delete(np.arange(1, n_lines + 1, dtype=np.int64), hash_lines)
        blocks = self.blocks
        for block in dict.fromkeys(cols.blocks):
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

    def _line_by_line(self, fast: bool) -> _Columns:
        text, n = self.text, len(self.text)
        blocks, om = self.blocks, self.om
        cols = _Columns()
        lines: list[int] = []
        match = self.sample_re.match if fast else _no_match
        pos, line_no, seen_eof = 0, 1, False
        while pos < n:
            m = match(text, pos)
            if m is not None:
                block = m.group(3)
                if block is not None and block not in blocks:
                    parsed = parse_canonical(block, om)
                    if parsed is None:
                        m = None
                    else:
                        blocks[block] = parsed
            if m is not None:
                series, name, block, value, ts = m.groups("")
                pos = m.end()
                _append(cols, series, name, block, value, ts)
                lines.append(line_no)
            else:
                line, pos = self.lexer.lex(pos, line_no)
                if line is None:
                    pass
                elif line.kind == SAMPLE:
                    _append(cols, line.series, line.name, line.block, line.value, line.ts)
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


def _append(cols: _Columns, series: str, name: str, block: str, value: str, ts: str) -> None:
    cols.series.append(series)
    cols.names.append(name)
    cols.blocks.append(block)
    cols.values.append(value)
    cols.timestamps.append(ts)


def _eof_line_start(text: str) -> int:
    """Where a final ``# EOF`` line starts, or -1 if the payload does not end with one."""
    if text.endswith("# EOF\n"):
        start = len(text) - 6
    elif text.endswith("# EOF"):
        start = len(text) - 5
    else:
        return -1
    return start if start == 0 or text[start - 1] == "\n" else -1


class _Assembler:
    """Checks what spans lines and builds the batch from the columns."""

    def __init__(self, parser: _Parser, cols: _Columns) -> None:
        self.parser = parser
        self.om = parser.om
        self.cols = cols
        self.families: list[_Family] = []
        self.by_name: dict[str, int] = {}  # family name -> index
        self.om_by_name: dict[str, list[int]] = {}  # OpenMetrics: a name may come back
        self.owner: dict[str, int] = {}  # sample name -> family index
        self.current = -1  # OpenMetrics: the family being read

    def build(self) -> SampleBatch:
        cols = self.cols
        names = cols.names
        n = len(names)
        lines = cols.lines
        # name -> index of its first sample (later duplicates overwrite earlier ones)
        first = dict(zip(reversed(names), range(n - 1, -1, -1), strict=True))
        events: list[tuple[int, str, str, str | None]] = list(cols.metas)
        events += [(int(lines[i]), "", name, None) for name, i in first.items()]
        events.sort(key=itemgetter(0))
        on_meta = self._om_meta if self.om else self._text_meta
        on_sample = self._om_first_sample if self.om else self._text_first_sample
        for line_no, keyword, name, text in events:
            if keyword:
                on_meta(line_no, keyword, name, text)
            else:
                on_sample(line_no, name)
        family = np.fromiter(map(self.owner.__getitem__, names), np.int32, n)
        if self.om:
            self._check_contiguous(family)
            self._check_exemplars(family)
        self._check_special_labels(family)
        values = self._values()
        timestamps = self._timestamps()
        return SampleBatch(
            ExpositionFormat.OPENMETRICS if self.om else ExpositionFormat.TEXT,
            [self._meta(f) for f in self.families],
            family,
            names,
            cols.series,
            self._labels(first),
            values,
            timestamps,
        )

    def _meta(self, fam: _Family) -> FamilyMeta:
        default = "unknown" if self.om else "untyped"
        return FamilyMeta(fam.name, fam.type or default, fam.help or None, fam.unit or None)

    def fail(self, line_no: int, where: str, reason: str) -> NoReturn:
        """Raise at ``where`` (a ``Line`` column attribute, or ``label:<name>``) of a line."""
        line = self.parser.relex(line_no)
        if where.startswith("label:"):
            col = line.label_cols.get(where[6:], line.name_col)
        else:
            col = getattr(line, where)
        raise ParseError(line_no, col or 1, reason)

    def _new_family(self, name: str, line_no: int) -> int:
        self.families.append(_Family(name, line_no))
        index = len(self.families) - 1
        self.by_name[name] = index
        self.om_by_name.setdefault(name, []).append(index)
        return index

    # --- text format 0.0.4: expfmt's rules --------------------------------------

    def _text_resolve(self, name: str, line_no: int) -> int:
        """The family a name belongs to, creating it if needed (expfmt's lookup)."""
        index = self.by_name.get(name)
        if index is not None:
            return index
        for family_type, suffixes in _TEXT_SUFFIXES:
            for suffix in suffixes:
                if name.endswith(suffix) and len(name) > len(suffix):
                    base = self.by_name.get(name[: -len(suffix)])
                    if base is not None and self.families[base].type == family_type:
                        return base
        return self._new_family(name, line_no)

    def _text_meta(self, line_no: int, keyword: str, name: str, text: str | None) -> None:
        fam = self.families[self._text_resolve(name, line_no)]
        if text is None:
            return
        family = show(fam.name)
        if keyword == "HELP":
            if fam.help is not None:
                self.fail(line_no, "name_col", f"second HELP line for metric family {family}")
            fam.help = text
        else:
            if fam.typed:
                self.fail(line_no, "name_col", f"second TYPE line for metric family {family}")
            if fam.type is not None:
                self.fail(
                    line_no, "name_col", f"TYPE line for metric family {family} after its samples"
                )
            fam.type, fam.typed = text, True

    def _text_first_sample(self, line_no: int, name: str) -> None:
        index = self._text_resolve(name, line_no)
        self.owner[name] = index
        fam = self.families[index]
        fam.has_samples = True
        if fam.type is None:
            fam.type = "untyped"

    # --- OpenMetrics 1.0 --------------------------------------------------------

    def _om_meta(self, line_no: int, keyword: str, name: str, text: str | None) -> None:
        current = self.families[self.current] if self.current >= 0 else None
        if current is not None and current.name == name and not current.has_samples:
            if keyword in current.metadata:
                self.fail(
                    line_no, "name_col", f"second {keyword} line for metric family {show(name)}"
                )
            fam = current
        else:
            # A new family, even if the name was used before: client_golang writes a
            # gauge "x" and a counter "x_total" as two OpenMetrics families "x", and
            # Prometheus takes that. Their samples still must not interleave.
            self.current = self._new_family(name, line_no)
            fam = self.families[self.current]
        fam.metadata.add(keyword)
        if keyword == "TYPE":
            fam.type = text
        elif keyword == "HELP":
            fam.help = text
        else:
            if text and not name.endswith("_" + text):
                self.fail(
                    line_no,
                    "text_col",
                    f"unit {show(text)} is not a suffix of metric "
                    f"family {show(name)} (expected a name ending in {show('_' + text)})",
                )
            fam.unit = text

    def _om_first_sample(self, line_no: int, name: str) -> None:
        if self.current >= 0:
            fam = self.families[self.current]
            suffixes = OPENMETRICS_SUFFIXES[fam.type or "unknown"]
            if name.startswith(fam.name) and name[len(fam.name) :] in suffixes:
                self.owner[name] = self.current
                fam.has_samples = True
                return
            if name == fam.name:
                expected = " or ".join(show(fam.name + s) for s in suffixes)
                self.fail(
                    line_no,
                    "name_col",
                    f"expected a sample name {expected} for "
                    f"{fam.type} family {show(fam.name)}, got {show(name)}",
                )
            earlier = self._om_earlier_family(name)
            if earlier is not None:
                self.fail(
                    line_no,
                    "name_col",
                    f"sample of metric family {show(earlier)} after family {show(fam.name)} "
                    "began (families must not be interleaved)",
                )
        self.current = self._new_family(name, line_no)
        self.owner[name] = self.current
        self.families[self.current].has_samples = True

    def _om_earlier_family(self, name: str) -> str | None:
        """The name of an earlier family this sample name belongs to, if any."""
        for suffix in _ALL_OM_SUFFIXES:
            if not name.endswith(suffix):
                continue
            base = name[: len(name) - len(suffix)]
            for index in self.om_by_name.get(base, ()):
                if suffix in OPENMETRICS_SUFFIXES[self.families[index].type or "unknown"]:
                    return base
        return None

    def _check_contiguous(self, family: npt.NDArray[np.int32]) -> None:
        """Each family's samples come before the next family starts."""
        if not len(family):
            return
        starts = np.array([f.start_line for f in self.families] + [2**62], np.int64)
        lines = np.asarray(self.cols.lines, np.int64)
        bad = np.flatnonzero(lines >= starts[family + 1])
        if len(bad):
            i = int(bad[0])
            later = self.families[int(np.searchsorted(starts, lines[i], side="right")) - 1]
            self.fail(
                int(lines[i]),
                "name_col",
                f"sample of metric family "
                f"{show(self.families[family[i]].name)} after family {show(later.name)} "
                "began (families must not be interleaved)",
            )

    def _check_exemplars(self, family: npt.NDArray[np.int32]) -> None:
        for i in self.cols.exemplars:
            fam = self.families[family[i]]
            suffix = self.cols.names[i][len(fam.name) :]
            if (fam.type, suffix) not in EXEMPLAR_SAMPLES:
                self.fail(
                    int(self.cols.lines[i]),
                    "exemplar_col",
                    "exemplars are only allowed "
                    f"on counter _total and histogram _bucket samples, not on {fam.type} "
                    f"sample {show(self.cols.names[i])}",
                )

    def _check_special_labels(self, family: npt.NDArray[np.int32]) -> None:
        """``le`` (histograms) and ``quantile`` (summaries) must be floats; in
        OpenMetrics buckets and quantile samples must have them."""
        label_of = {
            i: NUMERIC_LABEL[f.type] for i, f in enumerate(self.families) if f.type in NUMERIC_LABEL
        }
        if not label_of:
            return
        names, blocks = self.cols.names, self.parser.blocks
        checked: set[tuple[str, str]] = set()
        for i in np.flatnonzero(np.isin(family, list(label_of))).tolist():
            fam_index = int(family[i])
            (label, required_on), name, block = label_of[fam_index], names[i], self.cols.blocks[i]
            if (name, block) in checked:
                continue
            checked.add((name, block))
            value = blocks[block].values.get(label)
            if value is None:
                if not self.om:
                    continue  # expfmt only checks the label where it is given
                if name != self.families[fam_index].name + required_on:
                    continue
                self.fail(
                    int(self.cols.lines[i]),
                    "name_col",
                    f"sample {show(name)} needs a {show(label)} label",
                )
            elif parse_float(value) is None:
                self.fail(
                    int(self.cols.lines[i]),
                    f"label:{label}",
                    f"expected float as value of {show(label)} label, got {show(value)}",
                )

    def _values(self) -> npt.NDArray[np.float64]:
        values = self.cols.values
        try:
            out = np.array(values, dtype=np.float64)
        except ValueError:
            self._first_bad(values, parse_float)
        # float() takes a sign on NaN and overflows to inf; Go does neither.
        for i in np.flatnonzero(np.isnan(out) | np.isinf(out)).tolist():
            if parse_float(values[i]) is None:
                self._first_bad([values[i]], parse_float, offset=i)
        return out

    def _first_bad(
        self, tokens: list[str], check: Callable[[str], object], offset: int = 0
    ) -> NoReturn:
        for i, token in enumerate(tokens):
            if check(token) is None:
                self.parser.relex(int(self.cols.lines[offset + i]))  # raises the precise error
                raise AssertionError(f"lexer accepted {token!r}")
        raise AssertionError("no bad token found")

    def _timestamps(self) -> npt.NDArray[np.int64]:
        tokens = self.cols.timestamps
        out = np.full(len(tokens), NO_TIMESTAMP, np.int64)
        if not any(tokens):
            return out
        convert = parse_seconds_timestamp if self.om else parse_int_timestamp
        for i, token in enumerate(tokens):
            if token:
                ms = convert(token)
                if ms is None:
                    self._first_bad([token], convert, offset=i)
                out[i] = ms
        return out

    def _labels(self, first: dict[str, int]) -> list[Labels]:
        blocks = self.parser.blocks
        used = {block: blocks[block] for block in dict.fromkeys(self.cols.blocks)}
        new = tuple.__new__
        if all(b.name_at == 0 for b in used.values()):
            # The usual case: __name__ sorts first. One C-level pipeline, no Python
            # code per sample.
            heads = {name: ((METRIC_NAME, name),) for name in first}
            rests = {block: b.pairs for block, b in used.items()}
            return list(
                map(
                    new,
                    repeat(Labels),
                    map(
                        add,
                        map(heads.__getitem__, self.cols.names),
                        map(rests.__getitem__, self.cols.blocks),
                    ),
                )
            )
        out = []
        for name, block in zip(self.cols.names, self.cols.blocks, strict=True):
            b = used[block]
            pairs = b.pairs
            k = b.name_at
            out.append(new(Labels, (*pairs[:k], (METRIC_NAME, name), *pairs[k:])))
        return out
