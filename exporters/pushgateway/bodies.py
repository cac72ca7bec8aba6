"""Push bodies to families, with the parse of each body *shape* done once.

A push body is tiny (a handful of lines) and the shared exposition parser is
built for big payloads: numpy columns and checks across lines make its fixed
cost per call dominate (~half of a push's CPU). But jobs push the same shape
again and again, only the numbers change. So a body is split at its sample
values: the text between the values (names, labels, HELP/TYPE lines, line
breaks) is the key of a ``Shape``, the full parse's outcome for it. A body
whose key is known and whose value tokens are all valid floats (Go's grammar,
``parse_float``) is exactly that shape with these values, so it is built from
the shape without parsing. Anything else — a new shape, a value the grammar
refuses, a timestamp, a body that is not UTF-8 — goes through the full parser,
which also produces every error text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from exporters.common.exposition.numbers import parse_float

from .errors import BodyError
from .model import Family, Metric, Pairs

#: A sample line written the common way: the value is group 3; group 4 is
#: anything after it (a timestamp: such bodies take the full parse). Same
#: shape as the exposition parser's bulk regex; lines it does not take stay
#: in the key verbatim.
_SAMPLE: Final = re.compile(
    r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}\n]*\})? ([0-9+\-.eEinftyaINFTYA]+)( [^\n]*)?\n",
    re.MULTILINE,
)
#: Distinct shapes remembered; past that the memo starts over (bounded memory).
_MAX_SHAPES: Final = 4096

#: What each sample does to the families (replayed with new values):
#: (family index, metric labels, role, bound, has a timestamp) with role
#: "value", "sum", "count", "bucket" (histogram) or "quantile" (summary).
Step = tuple[int, Pairs, str, float, bool]


@dataclass(frozen=True, slots=True)
class Shape:
    families: tuple[tuple[str, str, str | None], ...]  # name, type, help
    #: per sample, in body order
    steps: tuple[Step, ...]
    #: how many metrics each family has, in order of first appearance
    metrics: tuple[tuple[int, Pairs], ...]


def _uint64(value: float) -> float:
    # client_golang keeps counts as uint64: the parser truncates.
    if math.isfinite(value) and 0 <= value < 2**64:
        return float(int(value))
    return 0.0


class BodyParser:
    """``parse(body) -> families by name`` (not yet sanitized), memoizing shapes."""

    def __init__(self, max_shapes: int = _MAX_SHAPES) -> None:
        self.max_shapes = max_shapes
        self.shapes: dict[tuple[str, ...], Shape] = {}
        #: (hits, misses), for tests and the bench
        self.hits = 0
        self.misses = 0

    def parse(self, body: bytes) -> dict[str, Family]:
        if not body.strip():
            return {}
        split = _split(body)
        if split is not None:
            shape = self.shapes.get(split[0])
            if shape is not None:
                values = _floats(split[1])
                if values is not None:
                    self.hits += 1
                    return _build(shape, values)
        self.misses += 1
        shape, values = _parse_shape(body)
        if split is not None:  # (bodies with timestamps never get here)
            if len(self.shapes) >= self.max_shapes:
                self.shapes.clear()
            self.shapes[split[0]] = shape
        return _build(shape, values)


def parse_body(body: bytes) -> dict[str, Family]:
    """A text-format push body as families by name, without the memo."""
    if not body.strip():
        return {}
    return _build(*_parse_shape(body))


def _split(body: bytes) -> tuple[tuple[str, ...], list[str]] | None:
    """(the text around the value tokens, the value tokens), or None when the
    body must take the full parse (not UTF-8, a timestamp)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts: list[str] = []
    values: list[str] = []
    last = 0
    for m in _SAMPLE.finditer(text):
        if m.group(4) is not None:
            return None
        start, end = m.span(3)
        parts.append(text[last:start])
        values.append(m.group(3))
        last = end
    parts.append(text[last:])
    return tuple(parts), values


def _floats(tokens: list[str]) -> list[float] | None:
    out = []
    for token in tokens:
        value = parse_float(token)
        if value is None:
            return None
        out.append(value)
    return out


def _parse_shape(body: bytes) -> tuple[Shape, list[float]]:
    """The full parse (raises ``BodyError`` with the parser's text)."""
    from exporters.common.exposition import ParseError, parse_text

    try:
        batch = parse_text(body)
    except ParseError as exc:
        raise BodyError(f"text format parsing error in line {exc.line}: {exc.reason}") from None
    families = tuple((meta.name, meta.type, meta.help) for meta in batch.families)
    steps: list[Step] = []
    metrics: list[tuple[int, Pairs]] = []
    seen: list[set[Pairs]] = [set() for _ in families]
    for name, labels, fam_index, timestamped in zip(
        batch.names,
        batch.labels,
        batch.family.tolist(),
        batch.has_timestamp().tolist(),
        strict=True,
    ):
        fam_name, fam_type, _ = families[fam_index]
        special = {"histogram": "le", "summary": "quantile"}.get(fam_type)
        pairs = labels.without_name()
        bound = 0.0
        suffix = name[len(fam_name) :]
        if special is None:
            role = "value"
        elif suffix in ("", "_bucket"):
            bound_text = pairs.get(special, "")
            pairs = pairs.without(special)
            bound = float(bound_text) if bound_text else math.inf
            role = "bucket" if special == "le" else "quantile"
        elif suffix in ("_sum", "_count"):
            role = suffix[1:]
        else:  # the parser files no other sample under a histogram/summary
            raise AssertionError(f"sample {name} in {fam_type} {fam_name}")
        key = tuple(pairs)
        # histograms/summaries: one metric per label set; a repeated plain
        # series stays two metrics, as in Go
        if special is None or key not in seen[fam_index]:
            seen[fam_index].add(key)
            metrics.append((fam_index, key))
        steps.append((fam_index, key, role, bound, bool(timestamped)))
    values: list[float] = batch.values.tolist()
    return Shape(families, tuple(steps), tuple(metrics)), values


def _build(shape: Shape, values: list[float]) -> dict[str, Family]:
    families = [Family(name, type_, help_, []) for name, type_, help_ in shape.families]
    by_key: list[dict[Pairs, Metric]] = [{} for _ in families]
    for fam_index, key in shape.metrics:
        metric = Metric(key)
        families[fam_index].metrics.append(metric)
        by_key[fam_index][key] = metric
    # plain series may repeat (two metrics of one label set): their steps take
    # the family's metrics in order
    plain = [iter(f.metrics) for f in families]
    for (fam_index, key, role, bound, timestamped), value in zip(shape.steps, values, strict=True):
        if role == "value":
            metric = next(plain[fam_index])
            metric.value = value
        else:
            metric = by_key[fam_index][key]
            if role == "sum":
                metric.sum = value
            elif role == "count":
                metric.count = _uint64(value)
            elif role == "bucket":
                metric.points.append((bound, _uint64(value)))
            else:
                metric.points.append((bound, value))
        if timestamped:
            metric.has_timestamp = True
    return {fam.name: fam for fam in families}
