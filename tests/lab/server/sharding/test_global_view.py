"""The global view: ``promlab querier`` over three hashmod shards answers like
one server that scraped every target itself.

Four ``promlab server`` processes scrape the same 30 fixture targets: shards
0-2 (``--shard N --total-shards 3``) their share each, the "big" one all of
them; a ``promlab querier`` process merges the shards through remote read.
Targets report explicit, bucket-aligned timestamps (see ``cluster``), so each
shard holds exactly the big server's samples of its targets, and answers are
compared with a relative tolerance of 1e-9: the inputs are identical, only
the order in which an aggregation adds series up may differ.

Before the comparison the test checks that premise directly (the big server's
raw samples in the window equal the union of the shards'): if the machine was
too loaded for a server to scrape every bucket, the window moves on instead of
blaming the querier for a scrape that never happened.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from tests.lab.server.sharding.cluster import (
    BUCKET_MS,
    fixture_targets,
    get_json,
    instant,
    querier_proc,
    running,
    samples,
    scrape_config,
    server_proc,
    try_json,
    wait_for,
)

N_TARGETS = 30
BUCKET_S = BUCKET_MS // 1000
RANGE_S = 8  # range queries: [T - 8s, T], step 2s
WINDOW = "5s"  # rate windows: two or three samples of each series
#: everything a query may read before T: the range, the widest window, a bucket
HISTORY_S = RANGE_S + 10 + BUCKET_S

QUERIES = (
    f"sum by (job) (rate(lab_requests_total[{WINDOW}]))",
    "sum by (group, code) (lab_requests_total)",
    "topk(3, lab_temperature)",
    f"bottomk(2, sum by (instance) (rate(lab_requests_total[{WINDOW}])))",
    "count by (job) (lab_temperature)",
    "count by (job) (up == 1)",
    "avg by (group) (lab_temperature)",
    "quantile(0.5, lab_temperature)",
    'lab_temperature{group="g1"}',
    "max_over_time(lab_temperature[10s])",
    'increase(lab_requests_total{code="500"}[10s])',
    f"histogram_quantile(0.9, sum by (le) (rate(lab_latency_seconds_bucket[{WINDOW}])))",
    f"histogram_quantile(0.5, sum by (job, le) (rate(lab_latency_seconds_bucket[{WINDOW}])))",
    f"sum(rate(lab_latency_seconds_sum[{WINDOW}]))"
    f" / sum(rate(lab_latency_seconds_count[{WINDOW}]))",
    "lab_requests_total offset 4s",
)


def _key(metric: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(metric.items()))


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _same_result(what: str, big: list[dict[str, Any]], merged: list[dict[str, Any]]) -> None:
    """Same series, each with the same timestamps and values within tolerance."""
    b = {_key(r["metric"]): r.get("values") or [r["value"]] for r in big}
    m = {_key(r["metric"]): r.get("values") or [r["value"]] for r in merged}
    assert sorted(m) == sorted(b), f"{what}: series differ\nbig: {sorted(b)}\nquerier: {sorted(m)}"
    assert b, f"{what}: empty answer compares nothing"
    for key, points in b.items():
        got = m[key]
        assert [t for t, _ in got] == [t for t, _ in points], f"{what} {key}: timestamps differ"
        assert all(
            _close(float(x), float(y)) for (_, x), (_, y) in zip(got, points, strict=True)
        ), f"{what} {key}:\nbig:     {points}\nquerier: {got}"


def _complete_window(big: str, shards: list[str], t_s: float) -> bool:
    """Did the shards together scrape exactly what the big server scraped?"""
    selector = '{__name__=~"lab_.+"}'
    union: dict[Any, Any] = {}
    for s in shards:
        union.update(samples(s, selector, HISTORY_S, t_s))
    return union == samples(big, selector, HISTORY_S, t_s)


def test_querier_over_three_shards_answers_like_one_server(tmp_path: Path) -> None:
    with fixture_targets(N_TARGETS) as addresses:
        config = tmp_path / "prometheus.yml"
        config.write_text(scrape_config({"app": addresses[:20], "db": addresses[20:]}))
        shards = [server_proc(f"shard{n}", config, tmp_path, f"--shard={n}", "--total-shards=3")
                  for n in range(3)]  # fmt: skip
        big = server_proc("big", config, tmp_path)
        querier = querier_proc("querier", [s.url for s in shards], tmp_path)
        with running([*shards, big, querier]):

            def count_up(base: str) -> int:
                got = try_json(base, "/api/v1/query", [("query", "count(up)")])
                return int(got["result"][0]["value"][1]) if got and got["result"] else 0

            wait_for(
                "every target scraped by the big server and by one shard",
                lambda: (
                    count_up(big.url) == N_TARGETS
                    and sum(count_up(s.url) for s in shards) == N_TARGETS
                ),
            )
            per_shard = [count_up(s.url) for s in shards]
            assert all(n > 0 for n in per_shard), per_shard  # 30 addresses hash on all 3

            # T: a bucket start late enough that its whole history was scraped
            # by all four servers, then wait until the bucket after T is in.
            t_s = (time.time() // BUCKET_S + 1) * BUCKET_S + HISTORY_S
            shard_urls = [s.url for s in shards]
            for _attempt in range(3):

                def newest_everywhere(t: float = t_s) -> bool:
                    expr = "min(timestamp(lab_temperature))"
                    return all(
                        float(instant(u, expr)[0]["value"][1]) >= t + BUCKET_S
                        for u in [big.url, *shard_urls]
                    )

                wait_for(f"every server past T={t_s}", newest_everywhere, HISTORY_S + 30)
                if _complete_window(big.url, shard_urls, t_s):
                    break
                t_s += HISTORY_S  # a missed scrape (overloaded machine): next window
            else:
                raise AssertionError("no window where the shards scraped what the big server did")

            # the raw samples through the querier first, then the queries
            selector = '{__name__=~"lab_.+"}'
            _same_result(
                "raw samples",
                instant(big.url, f"{selector}[{HISTORY_S}s]", t_s),
                instant(querier.url, f"{selector}[{HISTORY_S}s]", t_s),
            )
            for expr in QUERIES:
                _same_result(expr, instant(big.url, expr, t_s), instant(querier.url, expr, t_s))
                params = [("query", expr), ("start", str(t_s - RANGE_S)), ("end", str(t_s)),
                          ("step", "2")]  # fmt: skip
                _same_result(
                    f"{expr} (range)",
                    get_json(big.url, "/api/v1/query_range", params)["result"],
                    get_json(querier.url, "/api/v1/query_range", params)["result"],
                )

            # label names, label values and series
            span = [("start", str(t_s - RANGE_S)), ("end", str(t_s))]
            for path, params in (
                ("/api/v1/labels", span),
                ("/api/v1/labels", [*span, ("match[]", "lab_latency_seconds_bucket")]),
                ("/api/v1/label/group/values", span),
                ("/api/v1/label/le/values", span),
                ("/api/v1/label/instance/values", [*span, ("match[]", '{job="db"}')]),
                ("/api/v1/series", [*span, ("match[]", "lab_temperature")]),
                ("/api/v1/series", [*span, ("match[]", 'lab_requests_total{code="500"}')]),
            ):
                want = get_json(big.url, path, params)
                got = get_json(querier.url, path, params)
                if path == "/api/v1/series":
                    want, got = sorted(map(_key, want)), sorted(map(_key, got))
                assert got == want, f"{path} {params}"
                assert want, f"{path} {params}: empty answer compares nothing"
