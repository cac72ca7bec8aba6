"""The step after lexing: what spans lines, and building the ``SampleBatch``.

Both front ends of the parser (bulk regex, line by line) hand over the same
``Columns``: sample lines as columns of strings plus the metadata lines. This
step assigns samples to families (expfmt's rules for text 0.0.4, the
OpenMetrics rules otherwise), checks metadata order, ``le``/``quantile``
values, value and timestamp ranges, and converts the columns in bulk. An error
found here is located by lexing the offending line again (``relex``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from operator import add, itemgetter
from typing import Final, NoReturn

import numpy as np
import numpy.typing as npt

from lab.model.labels import METRIC_NAME, Labels

from .batch import NO_TIMESTAMP, FamilyMeta, SampleBatch
from .blocks import Block
from .errors import ParseError
from .formats import (
    EXEMPLAR_SAMPLES,
    NUMERIC_LABEL,
    OPENMETRICS_SUFFIXES,
    ExpositionFormat,
    text_family_of,
)
from .lexer import Line
from .numbers import parse_float, parse_int_timestamp, parse_seconds_timestamp, show

_ALL_OM_SUFFIXES: Final = tuple(sorted({s for v in OPENMETRICS_SUFFIXES.values() for s in v}))


@dataclass
class Columns:
    """Sample lines in columns, plus the metadata lines, as the two front ends give them."""

    series: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)  # may be empty if none has one
    lines: list[int] | npt.NDArray[np.int64] = field(default_factory=list)
    #: (line number, keyword, family name, text or None)
    metas: list[tuple[int, str, str, str | None]] = field(default_factory=list)
    #: indices of samples that carry an exemplar
    exemplars: list[int] = field(default_factory=list)
    #: the block texts, each once, when the front end already knows them
    distinct_blocks: dict[str, None] | None = None


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


def append_sample(cols: Columns, series: str, name: str, block: str, value: str, ts: str) -> None:
    cols.series.append(series)
    cols.names.append(name)
    cols.blocks.append(block)
    cols.values.append(value)
    cols.timestamps.append(ts)


class Assembler:
    """Checks what spans lines and builds the batch from the columns."""

    def __init__(
        self,
        cols: Columns,
        blocks: dict[str, Block],
        openmetrics: bool,
        relex: Callable[[int], Line],
    ) -> None:
        self.cols = cols
        self.blocks = blocks
        self.om = openmetrics
        #: lexes line N again, for error columns (raises if the line is invalid)
        self.relex = relex
        self.families: list[_Family] = []
        self.by_name: dict[str, int] = {}  # family name -> index
        self.om_by_name: dict[str, list[int]] = {}  # OpenMetrics: a name may come back
        self.text_types: dict[str, str | None] = {}  # text format: family name -> TYPE
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
        line = self.relex(line_no)
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
        base = text_family_of(name, self.text_types)
        if base is None:
            self.text_types[name] = None
            return self._new_family(name, line_no)
        return self.by_name[base]

    def _text_meta(self, line_no: int, keyword: str, name: str, text: str | None) -> None:
        fam = self.families[self._text_resolve(name, line_no)]
        if text is None:
            return
        if keyword == "HELP":
            if fam.help is not None:
                self.fail(
                    line_no, "name_col", f"second HELP line for metric family {show(fam.name)}"
                )
            fam.help = text
            return
        if fam.typed:
            self.fail(line_no, "name_col", f"second TYPE line for metric family {show(fam.name)}")
        if fam.type is not None:
            self.fail(
                line_no,
                "name_col",
                f"TYPE line for metric family {show(fam.name)} after its samples",
            )
        fam.type, fam.typed = text, True
        self.text_types[fam.name] = text

    def _text_first_sample(self, line_no: int, name: str) -> None:
        index = self._text_resolve(name, line_no)
        self.owner[name] = index
        fam = self.families[index]
        fam.has_samples = True
        if fam.type is None:
            fam.type = self.text_types[fam.name] = "untyped"

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
        names, blocks, block_texts = self.cols.names, self.blocks, self.cols.blocks
        floats: set[str] = set()  # label values already seen to be floats
        rows = np.flatnonzero(np.isin(family, list(label_of)))
        for i, fam_index in zip(rows.tolist(), family[rows].tolist(), strict=True):
            label, required_on = label_of[fam_index]
            value = blocks[block_texts[i]].values.get(label)
            if value is None:
                # expfmt only checks the label where it is given; OpenMetrics
                # buckets and quantile samples must have it
                if self.om and names[i] == self.families[fam_index].name + required_on:
                    self.fail(
                        int(self.cols.lines[i]),
                        "name_col",
                        f"sample {show(names[i])} needs a {show(label)} label",
                    )
            elif value not in floats:
                if parse_float(value) is None:
                    self.fail(
                        int(self.cols.lines[i]),
                        f"label:{label}",
                        f"expected float as value of {show(label)} label, got {show(value)}",
                    )
                floats.add(value)

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
                self.relex(int(self.cols.lines[offset + i]))  # raises the precise error
                raise AssertionError(f"lexer accepted {token!r}")
        raise AssertionError("no bad token found")

    def _timestamps(self) -> npt.NDArray[np.int64]:
        tokens = self.cols.timestamps
        out = np.full(len(self.cols.names), NO_TIMESTAMP, np.int64)
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
        blocks = self.blocks
        distinct = self.cols.distinct_blocks or dict.fromkeys(self.cols.blocks)
        used = {block: blocks[block] for block in distinct}
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
