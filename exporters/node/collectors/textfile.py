"""textfile: metrics that other programs write to ``*.prom`` files.

Each ``*.prom`` file in ``--collector.textfile.directory`` is parsed with our
text-format parser. A file that does not parse, or that carries client-side
timestamps, is skipped entirely and ``node_textfile_scrape_error`` becomes 1;
every file that was used gets ``node_textfile_mtime_seconds{file}``. As in
1.5, a family without HELP gets "Metric read from <path>", and the series of
a family are padded with empty labels so that all have the same label names.

The parser (and numpy, which its columnar batch uses) is imported only when
there is a ``.prom`` file to read, so a node exporter without text files stays
small.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client.metrics_core import Metric

from ..options import NodeOptions
from ..source import NodeSource
from .families import gauge, gauges

if TYPE_CHECKING:
    from exporters.common.exposition import SampleBatch

#: text-format TYPE word -> prometheus_client type
_TYPES = {
    "counter": "counter",
    "gauge": "gauge",
    "histogram": "histogram",
    "summary": "summary",
    "untyped": "unknown",
}


class TextfileError(Exception):
    """One file could not be used (internal: becomes node_textfile_scrape_error 1)."""


@dataclass
class _Family:
    name: str
    type: str
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def metric(self) -> Metric:
        # prometheus_client models counter "x_total" as family "x"; a counter
        # not named *_total keeps its name (our renderer writes it as Go does).
        name, typ = self.name, self.type
        if typ == "counter" and name.endswith("_total"):
            name = name[: -len("_total")]
        metric = Metric(name, self.help, typ)
        for sample_name, labels, value in _ordered(self.type, self.samples):
            metric.add_sample(sample_name, labels, value)
        return metric


def _le_key(labels: dict[str, str], bound: str) -> float:
    try:
        return float(labels.get(bound, "+Inf"))
    except ValueError:
        return float("inf")


def _ordered(
    typ: str, samples: list[tuple[str, dict[str, str], float]]
) -> list[tuple[str, dict[str, str], float]]:
    """Samples padded to the family's label names and in Go's order: series
    sorted by label values; a histogram's/summary's buckets or quantiles by
    bound, then ``_sum``, then ``_count``. The bound label is not padded."""
    bound = {"histogram": "le", "summary": "quantile"}.get(typ)
    names = sorted({k for _, labels, _ in samples for k in labels} - {bound or ""})
    groups: dict[tuple[str, ...], list[tuple[str, dict[str, str], float]]] = {}
    for sample_name, labels, value in samples:
        key = tuple(labels.get(k, "") for k in names)
        padded = dict(zip(names, key, strict=True))
        if bound is not None and bound in labels:
            padded[bound] = labels[bound]
        groups.setdefault(key, []).append((sample_name, padded, value))
    out: list[tuple[str, dict[str, str], float]] = []
    for key in sorted(groups):
        group = groups[key]
        if bound is None:
            out.extend(sorted(group, key=lambda s: s[0]))
            continue
        b = bound
        rank = {"_sum": 1, "_count": 2}
        group.sort(
            key=lambda s: (
                rank.get(s[0][s[0].rfind("_") :], 0) if b not in s[1] else 0,
                _le_key(s[1], b),
            )
        )
        out.extend(group)
    return out


def families_of(batch: SampleBatch, path: str) -> list[_Family]:
    """The file's families as ``_Family`` records; raises ``TextfileError``."""
    if bool(batch.has_timestamp().any()):
        raise TextfileError(
            f"textfile {path!r} contains unsupported client-side timestamps, skipping entire file"
        )
    out = [
        _Family(
            meta.name,
            _TYPES.get(meta.type, "unknown"),
            meta.help if meta.help is not None else f"Metric read from {path}",
        )
        for meta in batch.families
    ]
    for name, labels, value, fam in zip(
        batch.names, batch.labels, batch.values.tolist(), batch.family.tolist(), strict=True
    ):
        pairs = {k: v for k, v in labels if k != "__name__"}
        out[fam].samples.append((name, pairs, value))
    return [f for f in out if f.samples]


class TextfileCollector:
    def __init__(self, source: NodeSource, directory: str) -> None:
        self.source = source
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        errored = False
        names: list[str] = []
        if self.directory:
            try:
                names = [n for n in self.source.list_dir(self.directory) if n.endswith(".prom")]
            except OSError:
                errored = True
        merged: dict[str, _Family] = {}
        mtimes: dict[str, float] = {}
        for name in names:
            path = os.path.join(self.directory, name)
            try:
                families = self._read(path)
            except (OSError, TextfileError):
                errored = True
                continue
            if any(f.name in merged and merged[f.name].type != f.type for f in families):
                errored = True  # the same family with another type in an earlier file
                continue
            for fam in families:
                if fam.name in merged:
                    merged[fam.name].samples.extend(fam.samples)
                else:
                    merged[fam.name] = fam
            try:
                mtimes[path] = self.source.mtime(path)
            except OSError:
                errored = True
        for fam in merged.values():
            yield fam.metric()
        if mtimes:
            mtime = gauges(
                "node_textfile_mtime_seconds",
                "Unixtime mtime of textfiles successfully read.",
                ["file"],
            )
            for path in sorted(mtimes):
                mtime.add_metric([path], float(math.floor(mtimes[path])))
            yield mtime
        yield gauge(
            "node_textfile_scrape_error",
            "1 if there was an error opening or reading a file, 0 otherwise",
            1.0 if errored else 0.0,
        )

    def _read(self, path: str) -> list[_Family]:
        from exporters.common.exposition import ExpositionError, parse_text

        data = self.source.file(path)
        try:
            batch = parse_text(data)
        except ExpositionError as exc:
            raise TextfileError(f"failed to parse textfile data from {path!r}: {exc}") from None
        return families_of(batch, path)


def build(source: NodeSource, options: NodeOptions) -> TextfileCollector:
    return TextfileCollector(source, options.textfile_directory)
