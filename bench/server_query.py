"""Range-query latency over HTTP: promlab's server vs the real Prometheus.

Both get the same demo dataset (``lab.scenarios.dataset``, 17 instances =
1,003 series x 6 h at 15 s): Prometheus as TSDB blocks built with ``promtool
tsdb create-blocks-from openmetrics`` before it starts, promlab in its
in-memory store (loaded in a child process that serves the API). Each query of
``bench/promql_engine.py``'s list runs as a range query over the whole 6 h at a
15 s step (1,441 points per series), POSTed form-encoded as Grafana does; the
time is the full HTTP round trip including JSON encoding and transfer. Prints
best-of-``--repeat`` ms per query for each server, the ratio, whether the two
answers have the same series, and the geometric mean of the ratios (target
<= 1.0, must be <= 1.5). The dataset is on the 15 s grid and so are the steps,
so a query whose answer depends on a sample exactly at a window boundary (the
intermittent metric's lookback) may show "NO": 2.42's closed windows vs 3.x's
left-open ones, which promlab follows; the differential test avoids that.

    .venv/bin/python bench/server_query.py [--instances 17] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from promql_engine import QUERIES

from lab.scenarios.dataset import DatasetSpec, DemoDataset

START_MS = 1_700_000_000_000
STEP_S = 15
READY_LIMIT_S = 600.0


def _spec(instances: int) -> DatasetSpec:
    return DatasetSpec(instances=instances, start_ms=START_MS)


def _post(base: str, path: str, form: dict[str, str]) -> bytes:
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(base + path, data=data, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(req, timeout=300) as resp:
        body: bytes = resp.read()
        return body


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_LIMIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{base}: process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/-/ready", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base} not ready after {READY_LIMIT_S}s")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_openmetrics(path: Path, spec: DatasetSpec) -> int:
    """The dataset as OpenMetrics text, one family after another (promtool's input)."""
    series = sorted(DemoDataset(spec).series(), key=lambda s: s.labels)
    n = 0
    with path.open("w") as out:
        for s in series:
            labels = ",".join(f'{k}="{v}"' for k, v in s.labels if k != "__name__")
            head = f"{s.labels.name}{{{labels}}} "
            out.writelines(
                f"{head}{v!r} {t // 1000}.{t % 1000:03d}\n"
                for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True)
            )
            n += s.values.size
        out.write("# EOF\n")
    return n


def start_prometheus(workdir: Path, spec: DatasetSpec) -> tuple[subprocess.Popen[bytes], str]:
    promtool, prometheus = shutil.which("promtool"), shutil.which("prometheus")
    if not promtool or not prometheus:
        raise SystemExit("needs prometheus and promtool on PATH (Debian: prometheus)")
    om = workdir / "demo.om"
    t = time.perf_counter()
    samples = write_openmetrics(om, spec)
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(workdir / "data")],
        check=True,
        capture_output=True,
    )
    om.unlink()
    print(f"prometheus: {samples:,} samples into blocks in {time.perf_counter() - t:.1f}s")
    (workdir / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    port = _free_port()
    log = (workdir / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}"


def start_promlab(workdir: Path, instances: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-promlab", str(port), "--instances", str(instances)],
        cwd=workdir,
    )
    return proc, f"http://127.0.0.1:{port}"


def serve_promlab(port: int, instances: int) -> None:
    """Child process: load the dataset in memory and serve the API."""
    from lab.server.app import PromlabServer, ServerOptions
    from lab.server.storage.memory import MemoryStorage

    storage = MemoryStorage()
    t = time.perf_counter()
    n_series, n_samples = DemoDataset(_spec(instances)).load_into(storage)
    print(f"promlab: {n_series} series, {n_samples:,} samples in memory in "
          f"{time.perf_counter() - t:.1f}s")  # fmt: skip
    config = Path("promlab.yml")
    config.write_text("global:\n  scrape_interval: 15s\n")
    options = ServerOptions(config_file=str(config), listen_addresses=(f"127.0.0.1:{port}",))
    asyncio.run(PromlabServer(options, storage=storage).run())


def _series_key(body: bytes) -> tuple[str, int]:
    doc = json.loads(body)
    if doc["status"] != "success":
        return ("error:" + doc.get("errorType", ""), 0)
    result = doc["data"]["result"]
    keys = sorted(json.dumps(r["metric"], sort_keys=True) for r in result)
    return (str(hash(tuple(keys))), sum(len(r["values"]) for r in result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve-promlab", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_promlab:
        serve_promlab(args.serve_promlab, args.instances)
        return

    spec = _spec(args.instances)
    with tempfile.TemporaryDirectory(prefix="promlab-bench-") as tmp:
        workdir = Path(tmp)
        lab_proc, lab_url = start_promlab(workdir, args.instances)
        prom_proc, prom_url = start_prometheus(workdir, spec)
        try:
            _wait_ready(prom_url, prom_proc)
            _wait_ready(lab_url, lab_proc)
            run(lab_url, prom_url, spec, args.repeat)
        finally:
            for proc in (lab_proc, prom_proc):
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def run(lab_url: str, prom_url: str, spec: DatasetSpec, repeat: int) -> None:
    form = {
        "start": str(spec.start_ms // 1000),
        "end": str((spec.start_ms + spec.duration_ms) // 1000),
        "step": str(STEP_S),
    }
    print(f"{'promlab ms':>10} {'prom ms':>8} {'ratio':>6} {'same':>4}  query")
    ratios: list[float] = []
    totals = [0.0, 0.0]
    for query in QUERIES:
        best = [math.inf, math.inf]
        keys = []
        for i, base in enumerate((lab_url, prom_url)):
            _post(base, "/api/v1/query_range", {**form, "query": query})  # warm up
            for _ in range(repeat):
                t = time.perf_counter()
                body = _post(base, "/api/v1/query_range", {**form, "query": query})
                best[i] = min(best[i], time.perf_counter() - t)
            keys.append(_series_key(body))
        ratio = best[0] / best[1]
        ratios.append(ratio)
        totals[0] += best[0]
        totals[1] += best[1]
        same = "yes" if keys[0] == keys[1] else "NO"
        print(f"{best[0] * 1000:10.1f} {best[1] * 1000:8.1f} {ratio:6.2f} {same:>4}  {query}")
    gm = statistics.geometric_mean(ratios)
    print(
        f"{len(QUERIES)} range queries, {spec.duration_ms // (STEP_S * 1000) + 1} steps: "
        f"total promlab {totals[0] * 1000:.0f} ms, prometheus {totals[1] * 1000:.0f} ms; "
        f"geometric-mean ratio promlab/prometheus = {gm:.2f} (target <= 1.0, limit 1.5)"
    )


if __name__ == "__main__":
    main()
