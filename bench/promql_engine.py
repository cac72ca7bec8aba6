"""PromQL engine speed: ~30 range queries over ~1,000 series x 6 h at 15 s.

Generates the demo dataset (counters with resets, gauges, classic histograms),
loads it into the in-memory store and times each query as a range query with
a 15 s step over the whole 6 h (1,441 steps). Prints ms per query (best of
``--repeat``), the input samples each query reads and the samples/s rate.

The side-by-side ratio against the real Prometheus (same data, same queries,
over HTTP) is measured by the server benchmark; this one tracks the engine.

    .venv/bin/python bench/promql_engine.py [--instances 17] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from lab.scenarios.dataset import DatasetSpec, DemoDataset
from lab.server.promql.engine import Engine
from lab.server.promql.parser import ast
from lab.server.promql.parser.parser import parse
from lab.server.storage.memory import MemoryStorage

QUERIES = [
    "rate(demo_http_requests_total[5m])",
    "sum by (job) (rate(demo_http_requests_total[5m]))",
    'sum(rate(demo_http_requests_total{status="500"}[5m])) / sum(rate(demo_http_requests_total[5m]))',  # noqa: E501
    "histogram_quantile(0.9, sum by (le) (rate(demo_request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.99, sum by (le, handler) (rate(demo_request_duration_seconds_bucket[5m])))",  # noqa: E501
    "topk(5, sum by (instance) (rate(demo_http_requests_total[5m])))",
    "bottomk(3, demo_memory_bytes)",
    "demo_cpu_usage_ratio * on (instance, job) group_left () demo_memory_bytes",
    "demo_memory_bytes / on (instance, job) sum by (instance, job) (demo_cpu_usage_ratio)",
    "quantile_over_time(0.95, demo_cpu_usage_ratio[10m])",
    "avg_over_time(demo_cpu_usage_ratio[5m])",
    "max_over_time(demo_memory_bytes[1h])",
    "max_over_time(rate(demo_http_requests_total[1m])[10m:1m])",
    "increase(demo_http_requests_total[1h])",
    "irate(demo_http_requests_total[5m])",
    "deriv(demo_memory_bytes[10m])",
    "predict_linear(demo_memory_bytes[30m], 3600)",
    "delta(demo_cpu_usage_ratio[10m])",
    "stddev_over_time(demo_cpu_usage_ratio[10m])",
    "count by (job) (demo_cpu_usage_ratio > 0.5)",
    "avg by (job) (demo_cpu_usage_ratio)",
    "quantile by (job) (0.9, demo_cpu_usage_ratio)",
    "sum by (job, status) (increase(demo_http_requests_total[10m]))",
    "resets(demo_http_requests_total[1h])",
    "changes(demo_batch_last_success_timestamp_seconds[1h])",
    "time() - demo_batch_last_success_timestamp_seconds",
    'absent(demo_intermittent_metric{job="nope"})',
    "demo_intermittent_metric",
    'label_replace(demo_memory_bytes, "host", "$1", "instance", "(.*):.*")',
    "rate(demo_request_duration_seconds_sum[5m]) / rate(demo_request_duration_seconds_count[5m])",
    'count_values("bucket", round(demo_cpu_usage_ratio * 10))',
    "sort_desc(sum by (instance) (demo_memory_bytes))",
]

LOOKBACK_MS = 5 * 60_000


def input_samples(storage: MemoryStorage, query: str, start_ms: int, end_ms: int) -> int:
    """Samples the query's selectors read: each selector over its widest window."""
    total = 0

    def walk(node: object, extra_ms: int) -> None:
        nonlocal total
        if isinstance(node, ast.MatrixSelector):
            rng = node.range
            width = int(rng.value * 1000) if isinstance(rng, ast.NumberLiteral) else 0
            walk(node.vector, extra_ms + width - LOOKBACK_MS)
            return
        if isinstance(node, ast.SubqueryExpr):
            rng = node.range
            width = int(rng.value * 1000) if isinstance(rng, ast.NumberLiteral) else 0
            walk(node.expr, extra_ms + width)
            return
        if isinstance(node, ast.VectorSelector):
            q = storage.querier(start_ms - LOOKBACK_MS - extra_ms, end_ms)
            total += sum(s.values.size for s in q.select(node.matchers))
            return
        for child in getattr(node, "__dataclass_fields__", {}):
            value = getattr(node, child)
            if isinstance(value, tuple):
                for item in value:
                    walk(item, extra_ms)
            elif isinstance(value, ast.Expr):
                walk(value, extra_ms)

    walk(parse(query), 0)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=17, help="17 instances = 1,003 series")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    spec = DatasetSpec(instances=args.instances)
    t0 = time.perf_counter()
    storage = MemoryStorage()
    n_series, n_samples = DemoDataset(spec).load_into(storage)
    print(
        f"loaded {n_series} series, {n_samples:,} samples in {time.perf_counter() - t0:.2f}s "
        f"(6 h at 15 s)"
    )
    engine = Engine()
    start, end, step = spec.start_ms, spec.start_ms + spec.duration_ms, 15_000
    print(f"{'ms':>9} {'samples':>10} {'Msamples/s':>10}  query")
    timings: list[float] = []
    for query in QUERIES:
        best = math.inf
        for _ in range(args.repeat):
            t = time.perf_counter()
            engine.range_query(storage, query, start, end, step)
            best = min(best, time.perf_counter() - t)
        n = input_samples(storage, query, start, end)
        timings.append(best)
        print(f"{best * 1000:9.1f} {n:10,} {n / best / 1e6:10.2f}  {query}")
    print(
        f"{len(QUERIES)} queries, {(end - start) // step + 1} steps each: "
        f"geometric mean {statistics.geometric_mean(timings) * 1000:.1f} ms, "
        f"median {np.median(timings) * 1000:.1f} ms, total {sum(timings) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
