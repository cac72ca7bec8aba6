"""Differential testing of the HTTP API against the real Prometheus.

The same synthetic ``demo_*`` dataset (``lab.scenarios.dataset``) goes into
Prometheus (as TSDB blocks built by ``promtool tsdb create-blocks-from
openmetrics`` before it starts) and into promlab's in-memory store; the
PromQL compliance tester's query list (../shared/conformance/promql-compliance)
runs as instant and range queries against both over HTTP, and the JSON answers
are compared: same status and error type, same result type, the same series,
the same timestamps, values equal within a relative 1e-6.

Scrape timestamps are jittered off the 15 s grid and the query times sit 7.777 s
off it; the few jittered samples that land on a whole second or on .777 are
moved by 1 ms, since window boundaries (query times minus whole-second ranges,
subquery steps on multiples of their step) lie only there. So no sample lies
on a window boundary, and Prometheus 2.42 (closed windows) and 3.x semantics
(left-open windows, which promlab follows) agree.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from lab.model.labels import Labels
from lab.scenarios.dataset import DatasetSpec, DemoDataset, GeneratedSeries

QUERIES_FILE = (
    Path(__file__).resolve().parents[4].parent
    / "shared"
    / "conformance"
    / "promql-compliance"
    / "queries.yml"
)
START_MS = 1_700_000_000_000
SPEC = DatasetSpec(
    instances=3, start_ms=START_MS, duration_ms=3 * 3600_000, jitter_ms=3_000, seed=7
)
OFF_GRID_MS = 7_777
#: instant queries at these times; range queries over the hour before the last
INSTANT_TIMES_MS = (
    START_MS + 1800_000 + OFF_GRID_MS,
    START_MS + 2 * 3600_000 + OFF_GRID_MS,
    START_MS + 3 * 3600_000 - 60_000 + OFF_GRID_MS,
)
RANGE = (START_MS + 3600_000 + OFF_GRID_MS, START_MS + 2 * 3600_000 + OFF_GRID_MS, 60_000)
REL_TOL = 1e-6


@dataclass(frozen=True)
class Case:
    id: str
    query: str
    expect_error: bool = False


def load_cases(all_variants: bool) -> list[Case]:
    """The compliance queries, each variant placeholder expanded with its first
    value (or, with ``all_variants``, every combination)."""
    doc = yaml.safe_load(QUERIES_FILE.read_text())
    values: dict[str, list[str]] = doc["variant_values"]
    cases = []
    for entry in doc["queries"]:
        names = entry.get("variants") or []
        choices = [values[n] if all_variants else values[n][:1] for n in names]
        for combo in itertools.product(*choices):
            query = entry["query"]
            for name, value in zip(names, combo, strict=True):
                query = query.replace("{{." + name + "}}", str(value))
            suffix = "" if not combo else "[" + ",".join(map(str, combo)) + "]"
            cases.append(Case(entry["id"] + suffix, query, bool(entry.get("expect_error"))))
    return cases


def dataset_series(spec: DatasetSpec = SPEC) -> list[GeneratedSeries]:
    """The demo dataset, sorted, with no sample on a possible window boundary."""
    out = []
    for s in DemoDataset(spec).series():
        ts = s.timestamps.copy()
        frac = ts % 1000
        ts[(frac == 0) | (frac == OFF_GRID_MS % 1000)] += 1
        keep = np.ones(ts.size, dtype=bool)
        keep[1:] = ts[1:] > ts[:-1]  # a 1 ms bump must not reorder or collide
        out.append(GeneratedSeries(s.labels, ts[keep], s.values[keep]))
    out.sort(key=lambda s: s.labels)
    return out


def load_into(storage: _Sink, spec: DatasetSpec = SPEC) -> None:
    for s in dataset_series(spec):
        storage.add_series(s.labels, s.timestamps, s.values)


class _Sink(Protocol):
    def add_series(self, labels: Labels, timestamps: Any, values: Any) -> None: ...


def write_openmetrics(path: Path, spec: DatasetSpec = SPEC) -> int:
    """The dataset as an OpenMetrics file for promtool (families contiguous)."""
    series = dataset_series(spec)
    samples = 0
    with path.open("w") as out:
        for s in series:
            name = s.labels.name
            labels = ",".join(f'{n}="{v}"' for n, v in s.labels if n != "__name__")
            head = f"{name}{{{labels}}} "
            ts = s.timestamps.tolist()
            vs = s.values.tolist()
            out.writelines(
                f"{head}{_om_float(v)} {t // 1000}.{t % 1000:03d}\n"
                for t, v in zip(ts, vs, strict=True)
            )
            samples += len(ts)
        out.write("# EOF\n")
    return samples


def _om_float(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def create_blocks(promtool: str, openmetrics: Path, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(data_dir)],
        check=True,
        capture_output=True,
        timeout=300,
    )


# -- comparison ------------------------------------------------------------------------


def _value_equal(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return False
    return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=1e-12)


def _points_equal(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(
        p[0] == q[0] and _value_equal(p[1], q[1]) for p, q in zip(a, b, strict=True)
    )


def _keyed(result: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {json.dumps(r["metric"], sort_keys=True): r for r in result}


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> str | None:
    """None when the answers agree, else what differs (short)."""
    if ours["status"] != theirs["status"]:
        error = ours.get("error") or theirs.get("error")
        return f"status {ours['status']} vs {theirs['status']}: {error}"
    if ours["status"] == "error":
        if ours["errorType"] != theirs["errorType"]:
            return f"errorType {ours['errorType']} vs {theirs['errorType']}"
        return None
    a, b = ours["data"], theirs["data"]
    if a["resultType"] != b["resultType"]:
        return f"resultType {a['resultType']} vs {b['resultType']}"
    kind = a["resultType"]
    if kind in ("scalar", "string"):
        ok = a["result"][0] == b["result"][0] and _value_equal(a["result"][1], b["result"][1])
        return None if ok else f"{a['result']} vs {b['result']}"
    ka, kb = _keyed(a["result"]), _keyed(b["result"])
    if len(ka) != len(a["result"]):
        return "duplicate series in ours"
    if ka.keys() != kb.keys():
        only_a = sorted(set(ka) - set(kb))[:2]
        only_b = sorted(set(kb) - set(ka))[:2]
        return f"series differ: ours only {only_a}, theirs only {only_b} ({len(ka)} vs {len(kb)})"
    for key, ra in ka.items():
        rb = kb[key]
        if kind == "vector":
            pa, pb = [ra["value"]], [rb["value"]]
        else:
            pa, pb = ra["values"], rb["values"]
        if not _points_equal(pa, pb):
            first = next(
                (p, q)
                for p, q in itertools.zip_longest(pa, pb, fillvalue=None)
                if p is None or q is None or p[0] != q[0] or not _value_equal(p[1], q[1])
            )
            return f"{key}: {first[0]} vs {first[1]} ({len(pa)} vs {len(pb)} points)"
    return None


def requests(case: Case) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(label, path, params) for each request a case makes."""
    for i, t in enumerate(INSTANT_TIMES_MS):
        yield f"instant{i}", "/api/v1/query", {"query": case.query, "time": _seconds(t)}
    start, end, step = RANGE
    yield (
        "range",
        "/api/v1/query_range",
        {
            "query": case.query,
            "start": _seconds(start),
            "end": _seconds(end),
            "step": str(step / 1000),
        },
    )


def _seconds(ms: int) -> str:
    return f"{ms // 1000}.{ms % 1000:03d}"


_WORD = re.compile(r"\s+")


def short(query: str) -> str:
    return _WORD.sub(" ", query)[:90]
