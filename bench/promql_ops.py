"""PromQL operator speed: the all-steps-at-once aggregations and binary operators
vs a per-step, per-sample evaluation of the same operation (the way upstream
loops, written in Python), on the same range-query-shaped input.

Input: S series (``job`` x ``instance`` x ``mode``) over T steps, ~5% of the
samples missing. Operations timed, best of N:

* ``sum by (job)``, ``avg by (job)`` (compensated sums, as upstream);
* ``topk by (job) (3, x)``;
* ``x / ignoring(mode) group_left y`` (many-to-one matching).

Prints seconds for both and the ratio (per-step / vectorised); the target is
ratio >= 5 for every operation at the default size.

    .venv/bin/python bench/promql_ops.py [--series 2000] [--steps 240] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np

from lab.model.labels import Labels
from lab.server.promql.aggregations import aggregate
from lab.server.promql.binops import binary_op
from lab.server.promql.context import EvalContext
from lab.server.promql.parser.ast import (
    AggregateExpr,
    BinaryExpr,
    Cardinality,
    NumberLiteral,
    VectorMatching,
)
from lab.server.promql.values import InstantVector, Scalar

E = NumberLiteral(0.0)


def make_inputs(series: int, steps: int) -> tuple[InstantVector, InstantVector]:
    rng = np.random.default_rng(7)
    modes = ("idle", "user", "system", "iowait")
    labels = [
        Labels.of(__name__="cpu", job=f"j{i % 20}", instance=f"i{i // 4}", mode=modes[i % 4])
        for i in range(series)
    ]
    x = InstantVector(labels, rng.random((series, steps)) * 100, rng.random((series, steps)) > 0.05)
    one = sorted({lbl.without("mode", "__name__") for lbl in labels})
    y = InstantVector(
        [lbl.with_(__name__="up") for lbl in one],
        rng.random((len(one), steps)) + 1,
        np.ones((len(one), steps), dtype=bool),
    )
    return x, y


def _kahan(total: float, comp: float, v: float) -> tuple[float, float]:
    t = total + v
    if math.isinf(t):
        return t, 0.0
    if abs(total) >= abs(v):
        return t, comp + ((total - t) + v)
    return t, comp + ((v - t) + total)


def naive_sum_by(x: InstantVector, avg: bool) -> None:
    keys = [lbl.only("job") for lbl in x.labels]
    for t in range(x.values.shape[1]):
        acc: dict[Labels, tuple[float, float, int]] = {}
        for i, key in enumerate(keys):
            if x.present[i, t]:
                s, c, n = acc.get(key, (0.0, 0.0, 0))
                s, c = _kahan(s, c, float(x.values[i, t]))
                acc[key] = (s, c, n + 1)
        if avg:
            _ = {k: (s + c) / n for k, (s, c, n) in acc.items()}


def naive_topk(x: InstantVector) -> None:
    keys = [lbl.only("job") for lbl in x.labels]
    for t in range(x.values.shape[1]):
        groups: dict[Labels, list[tuple[float, int]]] = {}
        for i, key in enumerate(keys):
            if x.present[i, t]:
                groups.setdefault(key, []).append((float(x.values[i, t]), i))
        _ = {k: sorted(v, reverse=True)[:3] for k, v in groups.items()}


def naive_group_left(x: InstantVector, y: InstantVector) -> None:
    lsig = [lbl.without("mode", "__name__") for lbl in x.labels]
    rsig = [lbl.without("__name__") for lbl in y.labels]
    for t in range(x.values.shape[1]):
        right = {rsig[j]: float(y.values[j, t]) for j in range(y.num_series) if y.present[j, t]}
        out = {}
        for i, sig in enumerate(lsig):
            if x.present[i, t] and sig in right:
                out[x.labels[i]] = float(x.values[i, t]) / right[sig]


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=240)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    x, y = make_inputs(args.series, args.steps)
    ctx = EvalContext(0, (args.steps - 1) * 60_000, 60_000)
    by_job = ("job",)
    k = Scalar(np.full(args.steps, 3.0))
    group_left = BinaryExpr(
        "/", E, E, False, VectorMatching(Cardinality.MANY_TO_ONE, False, ("mode",))
    )
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("sum by (job)", lambda: aggregate(ctx, AggregateExpr("sum", E, None, by_job), x, None),
         lambda: naive_sum_by(x, avg=False)),
        ("avg by (job)", lambda: aggregate(ctx, AggregateExpr("avg", E, None, by_job), x, None),
         lambda: naive_sum_by(x, avg=True)),
        ("topk by (job)", lambda: aggregate(ctx, AggregateExpr("topk", E, E, by_job), x, k),
         lambda: naive_topk(x)),
        ("x / group_left y", lambda: binary_op(ctx, group_left, x, y),
         lambda: naive_group_left(x, y)),
    ]  # fmt: skip
    print(f"{args.series} series x {args.steps} steps")
    for name, ours, anchor in cases:
        a = best(ours, args.repeat)
        b = best(anchor, args.repeat)
        print(f"{name:20s} vectorised {a * 1000:8.1f} ms   per-step {b * 1000:8.1f} ms   "
              f"ratio {b / a:6.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
