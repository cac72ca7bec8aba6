"""``promlab demo``: the PromQL engine on a replayed incident, end to end.

Until the incident scenarios and the lab server land, this is the most
complete thing promlab does: it generates a 6-hour synthetic incident (the
``demo_*`` dataset: traffic, CPU and memory rise in the middle, latency and
5xx errors follow), loads it into the in-memory store, and evaluates what an
SRE would look at as PromQL range queries over the whole window (15 s step),
drawn as terminal sparklines. It then shows when alert-style conditions hold
and runs Prometheus's own PromQL test corpus through the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.scenarios.dataset import DatasetSpec, DemoDataset
from lab.server.promql.engine import Engine, MatrixResult
from lab.server.storage.memory import MemoryStorage

SPARK = "▁▂▃▄▅▆▇█"
COLUMNS = 72  # 5 minutes per column over 6 hours
STEP_MS = 15_000


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    query: str
    legend: str  # label whose value names each line
    unit: Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Condition:
    """An alert-style condition: the query returns series while it holds."""

    name: str
    query: str


def _num(v: float) -> str:
    return f"{v:.3g}"


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _seconds(v: float) -> str:
    return f"{v * 1000:.0f}ms" if v < 1 else f"{v:.2f}s"


def _gib(v: float) -> str:
    return f"{v / 2**30:.2f}GiB"


PANELS = (
    Panel("Requests/s by job", "sum by (job) (rate(demo_http_requests_total[5m]))", "job", _num),
    Panel(
        "5xx error ratio",
        'sum by (job) (rate(demo_http_requests_total{status="500"}[5m]))'
        " / sum by (job) (rate(demo_http_requests_total[5m]))",
        "job",
        _pct,
    ),
    Panel(
        "p90 latency by handler",
        "histogram_quantile(0.9, sum by (le, handler) "
        "(rate(demo_request_duration_seconds_bucket[5m])))",
        "handler",
        _seconds,
    ),
    Panel("CPU busy by job", "avg by (job) (demo_cpu_usage_ratio)", "job", _pct),
    Panel("Memory by job", "sum by (job) (demo_memory_bytes)", "job", _gib),
)

CONDITIONS = (
    Condition(
        "HighCPU (CPU > 70% over 5m)",
        "avg by (job) (avg_over_time(demo_cpu_usage_ratio[5m])) > 0.7",
    ),
    Condition(
        "HighErrorRate (5xx > 5% over 5m)",
        'sum by (job) (rate(demo_http_requests_total{status="500"}[5m]))'
        " / sum by (job) (rate(demo_http_requests_total[5m])) > 0.05",
    ),
    Condition(
        "SlowRequests (p90 > 500ms)",
        "histogram_quantile(0.9, sum by (le, handler) "
        "(rate(demo_request_duration_seconds_bucket[5m]))) > 0.5",
    ),
)


def _clock(t_ms: int, start_ms: int) -> str:
    minutes = (t_ms - start_ms) // 60_000
    return f"+{minutes // 60}h{minutes % 60:02d}m"


def _spark(
    points: list[tuple[int, float]], start_ms: int, end_ms: int, lo: float, hi: float
) -> str:
    """One column per time bucket: the bucket's mean, scaled into 8 levels."""
    ts = np.fromiter((t for t, _ in points), dtype=np.int64, count=len(points))
    vs = np.fromiter((v for _, v in points), dtype=np.float64, count=len(points))
    bucket = np.minimum((ts - start_ms) * COLUMNS // max(end_ms - start_ms + 1, 1), COLUMNS - 1)
    finite = np.isfinite(vs)
    sums = np.bincount(bucket[finite], weights=vs[finite], minlength=COLUMNS)
    counts = np.bincount(bucket[finite], minlength=COLUMNS)
    cells = []
    for total, count in zip(sums, counts, strict=True):
        if count == 0:
            cells.append(" ")
            continue
        level = 0 if hi <= lo else int((total / count - lo) / (hi - lo) * (len(SPARK) - 1))
        cells.append(SPARK[max(0, min(level, len(SPARK) - 1))])
    return "".join(cells)


def _matrix(
    engine: Engine, storage: MemoryStorage, query: str, start: int, end: int
) -> tuple[MatrixResult, float]:
    t0 = time.perf_counter()
    result = engine.range_query(storage, query, start, end, STEP_MS).value
    assert isinstance(result, MatrixResult)
    return result, time.perf_counter() - t0


def _intervals(points: Iterable[tuple[int, float]]) -> list[tuple[int, int]]:
    """Contiguous runs of steps at which a condition returned a sample."""
    runs: list[tuple[int, int]] = []
    for t, _ in points:
        if runs and t - runs[-1][1] <= STEP_MS:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def find_corpus() -> Path | None:
    """Prometheus's PromQL test corpus, in ../shared beside the checkout."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here.parent / "shared", Path.cwd().parent / "shared"):
        corpus = candidate / "conformance" / "promqltest"
        if corpus.is_dir():
            return corpus
    return None


def run(echo: Callable[[str], None], instances: int = 10, conformance: bool = True) -> None:
    spec = DatasetSpec(instances=instances)
    start, end = spec.start_ms, spec.start_ms + spec.duration_ms
    echo("promlab demo: a 6-hour synthetic incident replayed into the in-memory store")
    t0 = time.perf_counter()
    storage = MemoryStorage()
    n_series, n_samples = DemoDataset(spec).load_into(storage)
    echo(
        f"  {n_series} series, {n_samples:,} samples (15 s scrapes, {instances} instances) "
        f"generated and loaded in {time.perf_counter() - t0:.2f}s\n"
    )
    engine = Engine()
    middle = _clock(start + (end - start) // 2, start)
    axis = f"{'':24}{_clock(start, start):<{COLUMNS // 2 - 3}}{middle:<{COLUMNS // 2 - 3}}"
    axis += _clock(end, start)
    for panel in PANELS:
        matrix, took = _matrix(engine, storage, panel.query, start, end)
        echo(f"{panel.title}  [{(end - start) // STEP_MS + 1} steps in {took * 1000:.0f} ms]")
        echo(f"  {panel.query}")
        values = [v for s in matrix.series for _, v in s.points if np.isfinite(v)]
        lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
        for s in matrix.series:
            name = s.labels.get(panel.legend) or str(s.labels)
            line = _spark(s.points, start, end, lo, hi)
            echo(f"  {name[:20]:<20}  {line}")
        echo(f"{axis}   (scale {panel.unit(lo)} .. {panel.unit(hi)})\n")

    echo("When alert-style conditions hold (a query returning series = condition true):")
    for condition in CONDITIONS:
        matrix, _ = _matrix(engine, storage, condition.query, start, end)
        if not matrix.series:
            echo(f"  {condition.name}: never")
            continue
        for s in matrix.series:
            runs = ", ".join(
                f"{_clock(a, start)}..{_clock(b, start)}" for a, b in _intervals(s.points)
            )
            echo(f"  {condition.name} {s.labels}: {runs}")
    echo("")

    corpus = find_corpus() if conformance else None
    if corpus is None:
        if conformance:
            echo("PromQL conformance: corpus not found (expected ../shared/conformance/promqltest)")
        return
    from lab.server.promql.promqltest.runner import FAIL, PASS, run_file

    t0 = time.perf_counter()
    counts = {PASS: 0, FAIL: 0, "other": 0}
    for path in sorted(corpus.glob("*.test")):
        for outcome in run_file(path, engine):
            counts[outcome.status if outcome.status in (PASS, FAIL) else "other"] += 1
    echo(
        f"PromQL conformance on Prometheus's own test corpus ({corpus}):\n"
        f"  {counts[PASS]} evals passed, {counts[FAIL]} failed, {counts['other']} unsupported "
        f"(native histograms) in {time.perf_counter() - t0:.1f}s; "
        "details: promlab promql test <file>"
    )
