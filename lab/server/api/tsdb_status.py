"""``/api/v1/status/tsdb`` computed from the series themselves, for stores
without their own statistics (the in-memory store). The TSDB reports its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from lab.server.api.deps import JSONDict
from lab.server.storage.interface import Series


def _top(counter: Counter[str], limit: int) -> list[JSONDict]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"name": name, "value": value} for name, value in ranked]


def status_from_series(series: Iterable[Series], limit: int) -> JSONDict:
    by_name: Counter[str] = Counter()
    by_pair: Counter[str] = Counter()
    values_by_label: dict[str, set[str]] = {}
    num_series = 0
    mint: int | None = None
    maxt: int | None = None
    for s in series:
        num_series += 1
        by_name[s.labels.name] += 1
        for name, value in s.labels:
            by_pair[f"{name}={value}"] += 1
            values_by_label.setdefault(name, set()).add(value)
        if s.timestamps.size:
            lo, hi = int(s.timestamps[0]), int(s.timestamps[-1])
            mint = lo if mint is None else min(mint, lo)
            maxt = hi if maxt is None else max(maxt, hi)
    value_counts = Counter({n: len(v) for n, v in values_by_label.items()})
    memory = Counter({n: sum(len(x) for x in v) for n, v in values_by_label.items()})
    return {
        "headStats": {
            "numSeries": num_series,
            "numLabelPairs": len(by_pair),
            "chunkCount": 0,
            "minTime": mint if mint is not None else 0,
            "maxTime": maxt if maxt is not None else 0,
        },
        "seriesCountByMetricName": _top(by_name, limit),
        "labelValueCountByLabelName": _top(value_counts, limit),
        "memoryInBytesByLabelName": _top(memory, limit),
        "seriesCountByLabelValuePair": _top(by_pair, limit),
    }
