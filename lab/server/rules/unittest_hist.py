"""Native histograms in unit tests, kept beside the float storage.

The engine models float samples only, so ``{{...}}`` values of input series
are stored here, and a promql_expr_test whose expression is a bare selector
reads them (with the 5m left-open lookback). That covers what promtool's own
testdata asserts: a histogram series read back, repeated (``{{h}}xN``) and
increasing (``{{a}}+{{b}}xN``), compared by value and counter-reset hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lab.model.labels import Labels
from lab.model.matcher import Matcher

_FIELD = re.compile(r"(\w+):(\[[^\]]*\]|\S+)")
_HINTS = ("unknown", "reset", "not_reset", "gauge")


@dataclass(frozen=True)
class Histogram:
    schema: int = 0
    count: float = 0.0
    sum: float = 0.0
    z_bucket: float = 0.0
    z_bucket_w: float = 0.0
    pos: tuple[tuple[int, float], ...] = ()  # (absolute bucket index, value)
    neg: tuple[tuple[int, float], ...] = ()
    hint: str = "unknown"

    def add(self, other: Histogram) -> Histogram:
        def merge(
            a: tuple[tuple[int, float], ...], b: tuple[tuple[int, float], ...]
        ) -> tuple[tuple[int, float], ...]:
            d = dict(a)
            for k, v in b:
                d[k] = d.get(k, 0.0) + v
            return tuple(sorted(d.items()))

        return Histogram(
            self.schema, self.count + other.count, self.sum + other.sum,
            self.z_bucket + other.z_bucket, self.z_bucket_w, merge(self.pos, other.pos),
            merge(self.neg, other.neg), self.hint,
        )  # fmt: skip

    def with_hint(self, hint: str) -> Histogram:
        return Histogram(self.schema, self.count, self.sum, self.z_bucket, self.z_bucket_w,
                         self.pos, self.neg, hint)  # fmt: skip

    def __str__(self) -> str:
        parts = [f"schema:{self.schema}", f"count:{self.count:g}", f"sum:{self.sum:g}"]
        if self.z_bucket:
            parts.append(f"z_bucket:{self.z_bucket:g} z_bucket_w:{self.z_bucket_w:g}")
        if self.hint != "unknown":
            parts.append(f"counter_reset_hint:{self.hint}")
        for name, b in (("", self.pos), ("n_", self.neg)):
            if b:
                parts.append(
                    f"{name}offset:{b[0][0]} {name}buckets:[{' '.join(f'{v:g}' for _, v in b)}]"
                )
        return "{{" + " ".join(parts) + "}}"


def parse_histogram(text: str) -> Histogram:
    body = text.strip()
    if not (body.startswith("{{") and body.endswith("}}")):
        raise ValueError(f"not a histogram: {text!r}")
    fields = dict(_FIELD.findall(body[2:-2]))

    def num(name: str) -> float:
        return float(fields.get(name, "0"))

    def buckets(prefix: str) -> tuple[tuple[int, float], ...]:
        raw = fields.get(prefix + "buckets", "[]").strip("[]").split()
        offset = int(fields.get(prefix + "offset", "0"))
        return tuple((offset + i, float(v)) for i, v in enumerate(raw))

    hint = fields.get("counter_reset_hint", "unknown")
    if hint not in _HINTS:
        raise ValueError(f"invalid counter reset hint {hint!r}")
    return Histogram(
        int(fields.get("schema", "0")), num("count"), num("sum"), num("z_bucket"),
        num("z_bucket_w"), buckets(""), buckets("n_"), hint,
    )  # fmt: skip


_TOKEN = re.compile(r"(\{\{.*?\}\})(?:([+-])(\{\{.*?\}\}))?(?:x(\d+))?")


def expand_histograms(values: str) -> list[Histogram | None]:
    """Expand a values string; positions holding floats are None."""
    out: list[Histogram | None] = []
    i = 0
    while i < len(values):
        if values[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(values, i)
        if m and values.startswith("{{", i):
            base = parse_histogram(m.group(1))
            times = int(m.group(4)) if m.group(4) else 0
            inc = parse_histogram(m.group(3)) if m.group(3) else Histogram()
            if m.group(2) == "-":
                inc = Histogram(inc.schema, -inc.count, -inc.sum, -inc.z_bucket, inc.z_bucket_w,
                                tuple((k, -v) for k, v in inc.pos),
                                tuple((k, -v) for k, v in inc.neg))  # fmt: skip
            cur = base
            out.append(cur)
            for _ in range(times):
                cur = cur.add(inc).with_hint("not_reset" if m.group(2) != "-" else "unknown")
                out.append(cur)
            i = m.end()
            continue
        j = i
        while j < len(values) and not values[j].isspace():
            j += 1
        tok = values[i:j]
        n = 1
        if tok.startswith("_x"):
            n = int(tok[2:])
        elif "x" in tok and not tok.startswith("_"):
            n = int(tok.rsplit("x", 1)[1]) + 1
        out.extend([None] * n)
        i = j
    return out


class HistogramStore:
    def __init__(self, lookback_ms: int = 300_000) -> None:
        self.series: dict[Labels, list[tuple[int, Histogram]]] = {}
        self.lookback_ms = lookback_ms

    def add(self, labels: Labels, t_ms: int, h: Histogram) -> None:
        self.series.setdefault(labels, []).append((t_ms, h))

    def select(self, matchers: Sequence[Matcher], t_ms: int) -> list[tuple[Labels, Histogram]]:
        out = []
        for labels, samples in self.series.items():
            if not all(m.matches(labels.get(m.name)) for m in matchers):
                continue
            best = [h for t, h in samples if t_ms - self.lookback_ms < t <= t_ms]
            if best:
                out.append((labels, best[-1]))
        return out
