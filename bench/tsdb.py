"""TSDB benchmarks: ingestion, bytes per sample vs Prometheus, select latency, RSS.

Measured in one run, on disk (a temp dir next to the repo's filesystem):

* ingestion: samples/s through ``Appender.commit`` with the WAL on (one fsync
  per commit; scrape-sized commits of 1,000 samples), single writer and 4
  concurrent writers (group commit); anchor: the in-memory ``MemoryStorage``
  (no durability) on the same appends;
* bytes per sample on disk for the demo dataset
  (``DemoDataset(DatasetSpec(instances=17))``, 6 h at 15 s) imported as 2 h
  blocks, and after merging into one 6 h block; anchor: the same OpenMetrics
  file through the real ``promtool tsdb create-blocks-from openmetrics`` (ratio);
* select latency for ``demo_http_requests_total`` over 1 h, from the head and
  from blocks;
* RSS per active series in the head (2 h of 15 s samples each); anchor: the
  same samples in uncompressed growable numpy columns (the head before it cut
  closed chunks). ``bench/ingestion.py`` compares with Prometheus's RSS under
  the same scrape load.

    .venv/bin/python bench/tsdb.py [--series 1000] [--commits 300]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from exporters.common.exposition.numbers import (
    format_float_openmetrics,
    format_seconds_timestamp,
)
from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.scenarios.dataset import DatasetSpec, DemoDataset
from lab.server.storage.memory import MemoryStorage
from lab.server.tsdb import DB
from lab.server.tsdb.block import Block, write_block
from lab.server.tsdb.compact import merge_series
from lab.server.tsdb.fileutil import dir_size
from lab.server.tsdb.importer import import_openmetrics

H = 3_600_000


def ingest(store: object, series: list[Labels], commits: int, t0: int = 0) -> float:
    """Seconds to append ``commits`` scrapes of every series, one commit each."""
    start = time.perf_counter()
    app = store.appender()  # type: ignore[attr-defined]
    for i in range(commits):
        t = t0 + i * 15_000
        for j, labels in enumerate(series):
            app.append(labels, t, float(i + j))
        app.commit()
    return time.perf_counter() - start


def bench_ingest(root: Path, n_series: int, commits: int) -> None:
    series = [
        Labels.of(__name__="bench_metric", instance=f"i{i % 50}", id=str(i))
        for i in range(n_series)
    ]
    samples = n_series * commits
    mem_s = ingest(MemoryStorage(), series, commits)
    db = DB.open(root / "ingest")
    db_s = ingest(db, series, commits)
    db.close()
    print(
        f"ingest, 1 writer : {samples / db_s:12,.0f} samples/s  "
        f"(MemoryStorage {samples / mem_s:,.0f}/s, ratio {mem_s / db_s:.2f})"
    )
    db = DB.open(root / "ingest4")
    parts = [series[k::4] for k in range(4)]
    threads = [threading.Thread(target=ingest, args=(db, p, commits)) for p in parts]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    db.close()
    print(f"ingest, 4 writers: {samples / elapsed:12,.0f} samples/s  (group commit)")


def openmetrics(path: Path, spec: DatasetSpec) -> int:
    total = 0
    with path.open("w") as f:
        for s in sorted(DemoDataset(spec).series(), key=lambda s: s.labels):
            name = s.labels.name
            rest = ",".join(f'{n}="{v}"' for n, v in s.labels.without_name())
            head = f"{name}{{{rest}}}" if rest else name
            f.writelines(
                f"{head} {format_float_openmetrics(v)} {format_seconds_timestamp(t)}\n"
                for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True)
            )
            total += s.values.size
        f.write("# EOF\n")
    return total


def bench_size(root: Path) -> None:
    spec = DatasetSpec(instances=17)
    om = root / "demo.om"
    samples = openmetrics(om, spec)
    ours = root / "ours"
    start = time.perf_counter()
    metas = import_openmetrics(om.read_bytes(), ours)
    import_s = time.perf_counter() - start
    ours_bytes = dir_size(ours)
    blocks = [Block(ours / m.ulid) for m in metas]
    merged_dir = root / "merged"
    merged_dir.mkdir()
    write_block(
        merged_dir, merge_series(blocks), metas[0].min_time, metas[-1].max_time, "0" * 26, level=2
    )
    for b in blocks:
        b.close()
    merged_bytes = dir_size(merged_dir)
    print(f"demo dataset     : {samples:,} samples, {len(metas)} blocks, import {import_s:.1f}s")
    print(
        f"bytes/sample     : ours 2h blocks {ours_bytes / samples:.3f}, "
        f"ours merged 6h {merged_bytes / samples:.3f}"
    )
    promtool = shutil.which("promtool")
    if promtool is None:
        print("bytes/sample     : promtool not found, no Prometheus anchor")
        return
    ref = root / "ref"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(ref)],
        check=True,
        capture_output=True,
    )
    ref_bytes = dir_size(ref)
    print(
        f"bytes/sample     : Prometheus (promtool) 2h blocks {ref_bytes / samples:.3f}  "
        f"-> ratio ours/prometheus {ours_bytes / ref_bytes:.2f} (2h), "
        f"{merged_bytes / ref_bytes:.2f} (6h)"
    )


def bench_select(root: Path) -> None:
    spec = DatasetSpec(instances=17, duration_ms=8 * H)
    db = DB.open(root / "select", retention_time_ms=None)
    app = db.appender()
    gen = list(DemoDataset(spec).series())
    cols = [(s.labels, s.timestamps.tolist(), s.values.tolist()) for s in gen]
    for i in range(max(len(c[1]) for c in cols)):
        for labels, ts, vs in cols:
            if i < len(ts):
                app.append(labels, ts[i], vs[i])
        app.commit()
    db.compact()
    head_min = db.head.min_t()
    m = [Matcher(MatchType.EQUAL, "__name__", "demo_http_requests_total")]

    def timed(lo: int) -> float:
        best = float("inf")
        for _ in range(20):
            start = time.perf_counter()
            with db.querier(lo, lo + H) as q:
                n = len(q.select(m))
            best = min(best, time.perf_counter() - start)
        assert n == 17 * 12
        return best

    head_s, block_s = timed(head_min + H), timed(0)
    print(
        f"select 1h x 204  : head {head_s * 1e3:.2f} ms, blocks {block_s * 1e3:.2f} ms "
        f"(ratio blocks/head {block_s / head_s:.1f})"
    )
    db.close()


def bench_rss(root: Path, n_series: int = 5_000) -> None:
    """In a fresh interpreter, so memory freed by the other benches does not hide growth."""
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(n_series), "--dir", str(root / "rss")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(out, end="")


def rss_child(directory: Path, n_series: int) -> None:
    proc = psutil.Process()
    db = DB.open(directory)
    series = [
        Labels.of(__name__="rss_metric", job="j", instance=f"i{i % 100}", id=str(i))
        for i in range(n_series)
    ]
    ingest(db, series, 1)  # series exist, one sample each: the baseline
    gc.collect()
    before = proc.memory_info().rss
    ingest(db, series, 480, t0=15_000)  # 2 h at 15 s
    gc.collect()
    after = proc.memory_info().rss
    ours = (after - before) / n_series
    print(
        f"RSS per series   : {ours:,.0f} bytes for 480 samples "
        f"(head chunks + tail {db.head.memory_bytes() / n_series:,.0f} bytes/series, "
        f"{db.head.memory_bytes() / n_series / 481:.2f} bytes/sample)"
    )
    db.close()
    # Anchor: the same samples in uncompressed growable columns (int64 + float64,
    # capacity doubling from 16), the head's layout before closed chunks.
    gc.collect()
    before = proc.memory_info().rss
    columns = []
    for _ in range(n_series):
        cap = 16
        while cap < 481:
            cap *= 2
        ts, vs = np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.float64)
        ts[:481] = np.arange(481) * 15_000
        vs[:481] = 1.0
        columns.append((ts, vs))
    gc.collect()
    cols = (proc.memory_info().rss - before) / n_series
    print(f"RSS per series   : uncompressed columns {cols:,.0f} bytes -> ratio {cols / ours:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--rss-child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.dir, args.rss_child)
        return
    base = Path(os.environ.get("PROMLAB_BENCH_DIR", tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        root = Path(tmp)
        bench_ingest(root, args.series, args.commits)
        bench_size(root)
        bench_select(root)
        bench_rss(root)


if __name__ == "__main__":
    main()
