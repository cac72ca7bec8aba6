"""Cardinality statistics in the shape of Prometheus's /api/v1/status/tsdb.

``cardinality`` counts over label sets; ``top`` keeps the ``limit`` largest
entries (ties by name) as ``[{"name": ..., "value": ...}]``, exactly the JSON
the upstream API returns, so dashboards and tools that read it carry over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from lab.model.labels import Labels

StatList = list[dict[str, str | int]]


def top(counts: dict[str, int], limit: int) -> StatList:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"name": name, "value": value} for name, value in ranked]


def cardinality(series: Iterable[Labels], limit: int = 10) -> tuple[dict[str, StatList], int]:
    """The four top-N lists and the number of distinct label pairs."""
    by_metric: Counter[str] = Counter()
    by_pair: Counter[str] = Counter()
    values_by_name: dict[str, set[str]] = {}
    for labels in series:
        by_metric[labels.name] += 1
        for name, value in labels:
            by_pair[f"{name}={value}"] += 1
            values_by_name.setdefault(name, set()).add(value)
    lists = {
        "seriesCountByMetricName": top(dict(by_metric), limit),
        "labelValueCountByLabelName": top({n: len(v) for n, v in values_by_name.items()}, limit),
        "memoryInBytesByLabelName": top(
            {n: sum(len(x.encode("utf-8")) for x in v) for n, v in values_by_name.items()}, limit
        ),
        "seriesCountByLabelValuePair": top(dict(by_pair), limit),
    }
    return lists, len(by_pair)
