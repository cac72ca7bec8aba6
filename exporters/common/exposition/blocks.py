"""Label blocks (``{a="x",b="y"}``): escapes, and the parsed form cached per block text.

A payload repeats the same label block text many times (``{cpu="0",mode="idle"}``
under every ``node_cpu_*`` family), so the parser parses each distinct block
text once into a ``Block`` and builds each sample's ``Labels`` from it.

``parse_canonical`` handles the common spelling only (no whitespace, legacy
label names) and returns None for anything else; the exact line lexer then
decides, and reports the precise error if there is one.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Final

from lab.model.labels import METRIC_NAME

_LABEL_NAME: Final = r"[a-zA-Z_][a-zA-Z0-9_]*"
#: Text format: exactly the escapes \\ \" \n (expfmt refuses any other).
TEXT_STRING: Final = r'[^"\\\n]*(?:\\[\\"n][^"\\\n]*)*'
#: OpenMetrics: \\ \" \n, and a backslash before anything else stands for itself.
OM_STRING: Final = r'[^"\\\n]*(?:\\[^\n][^"\\\n]*)*'

_PAIR_TEXT: Final = f'{_LABEL_NAME}="{TEXT_STRING}"'
_PAIR_OM: Final = f'{_LABEL_NAME}="{OM_STRING}"'
_BLOCK_TEXT_RE: Final = re.compile(rf"\{{(?:{_PAIR_TEXT}(?:,{_PAIR_TEXT})*,?)?\}}")
_BLOCK_OM_RE: Final = re.compile(rf"\{{(?:{_PAIR_OM}(?:,{_PAIR_OM})*)?\}}")
_PAIRS_TEXT_RE: Final = re.compile(f'({_LABEL_NAME})="({TEXT_STRING})"')
_PAIRS_OM_RE: Final = re.compile(f'({_LABEL_NAME})="({OM_STRING})"')

_ESCAPE_RE: Final = re.compile(r"\\(.)", re.DOTALL)
_UNESCAPES: Final = {"\\": "\\", '"': '"', "n": "\n"}


def _unescape_known(m: re.Match[str]) -> str:
    return _UNESCAPES[m.group(1)]


def _unescape_lenient(m: re.Match[str]) -> str:
    ch = m.group(1)
    return _UNESCAPES.get(ch, "\\" + ch)


def unescape(raw: str, openmetrics: bool) -> str:
    """Decode an already validated escaped string (label value, quoted name, HELP)."""
    if "\\" not in raw:
        return raw
    return _ESCAPE_RE.sub(_unescape_lenient if openmetrics else _unescape_known, raw)


class Block:
    """A parsed label block: what every sample with this block text shares."""

    __slots__ = ("name_at", "pairs", "values")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        #: label name -> value as written (empty values included)
        self.values: dict[str, str] = dict(pairs)
        #: sorted, empty values dropped (an empty value means "no such label")
        self.pairs: tuple[tuple[str, str], ...] = tuple(sorted(p for p in pairs if p[1]))
        #: where ``__name__`` goes in ``pairs`` to keep the label set sorted
        self.name_at = bisect_left([n for n, _ in self.pairs], METRIC_NAME)


def parse_canonical(block: str, openmetrics: bool) -> Block | None:
    """Parse ``{a="x",...}`` spelled the common way; None means "ask the lexer"."""
    shape = _BLOCK_OM_RE if openmetrics else _BLOCK_TEXT_RE
    if shape.fullmatch(block) is None:
        return None
    raw = (_PAIRS_OM_RE if openmetrics else _PAIRS_TEXT_RE).findall(block)
    names = {name for name, _ in raw}
    if len(names) != len(raw) or METRIC_NAME in names:
        return None  # duplicate or reserved: the lexer reports it with a position
    if "\\" in block:
        return Block([(name, unescape(value, openmetrics)) for name, value in raw])
    return Block(raw)
