"""Rule unit tests: ``promlab rules test`` vs ``promtool test rules``.

Builds a promtool-format test of 24 h of input at a 15 s interval (1,000
series, 5,760 samples each), 50 recording and 50 alerting rules (the alerts
read the recording rules, `for: 5m`, some `keep_firing_for`), evaluated every
``--eval-interval`` (1m), with alert and PromQL assertions spread over the
day. Runs the real promtool and ours (a fresh process each, so start-up is
counted for both) on the same file in the same run and prints the times, the
verdicts and the ratio. Target: ours <= 0.1x promtool's time.

    .venv/bin/python bench/rules_test.py [--series 1000] [--eval-interval 1m] [--hours 24]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

SHARDS = 50


def build(workdir: Path, series: int, hours: int, eval_interval: str) -> Path:
    steps = hours * 3600 // 15
    groups: list[dict[str, object]] = [
        {"name": "recording", "rules": [
            {"record": f"shard:requests:rate5m_{s}",
             "expr": f'sum by (job) (rate(requests_total{{shard="{s}"}}[5m]))'}
            for s in range(SHARDS)
        ]},
        {"name": "alerts", "rules": [
            {"alert": f"HighRate{s}",
             "expr": f"shard:requests:rate5m_{s} > {20 * (series // SHARDS) // 10}",
             "for": "5m", **({"keep_firing_for": "10m"} if s % 2 else {}),
             "labels": {"severity": "warning"},
             "annotations": {"summary": "rate {{ $value | humanize }} in {{ $labels.job }}"}}
            for s in range(SHARDS)
        ]},
    ]  # fmt: skip
    (workdir / "rules.yml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    third = steps // 3
    inputs = []
    for i in range(series):
        # three phases: quiet, busy (every other shard crosses the threshold), quiet
        busy = 3 if (i % SHARDS) % 2 == 0 else 1
        values = f"0+15x{third} {15 * third}+{15 * busy}x{third} {15 * third * (1 + busy)}+15x{steps - 2 * third}"  # noqa: E501
        name = f'requests_total{{job="api", instance="i{i}", shard="{i % SHARDS}"}}'
        inputs.append({"series": name, "values": values})
    day = hours * 3600
    times = [f"{t}s" for t in range(0, day + 1, day // 8)]
    alerts = [{"eval_time": t, "alertname": f"HighRate{s}", "exp_alerts": []}
              for t in times for s in (0, 1, 2)]  # fmt: skip
    promql = [{"expr": f"shard:requests:rate5m_{s}", "eval_time": t, "exp_samples": []}
              for t in times[::2] for s in (0, 1)]  # fmt: skip
    doc = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": eval_interval,
        "tests": [{"name": "bench", "interval": "15s", "input_series": inputs,
                   "alert_rule_test": alerts, "promql_expr_test": promql}],
    }  # fmt: skip
    path = workdir / "bench.test.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - t0, proc.returncode, proc.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--eval-interval", default="1m")
    args = ap.parse_args()
    promtool = os.environ.get("PROMLAB_PROMTOOL_BIN") or shutil.which("promtool")
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = build(work, args.series, args.hours, args.eval_interval)
        print(f"rules test bench: {args.series} series x {args.hours}h @15s, 100 rules, "
              f"evaluation every {args.eval_interval}")  # fmt: skip
        ours_cmd = [sys.executable, "-m", "lab", "rules", "test", "--debug", "--no-coverage",
                    path.name]  # fmt: skip
        env_cwd = work
        os.environ["PYTHONPATH"] = str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")
        ours_s, ours_rc, ours_err = timed(ours_cmd, env_cwd)
        path_line = next((ln for ln in ours_err.splitlines() if "finished" in ln), "")
        print(f"  promlab : {ours_s:8.2f} s  exit {ours_rc}  {path_line.strip()}")
        if promtool is None:
            print("  promtool: not found (install Debian's prometheus package); no ratio")
            return 0
        ref_s, ref_rc, _ = timed([promtool, "test", "rules", path.name], work)
        print(f"  promtool: {ref_s:8.2f} s  exit {ref_rc}")
        print(f"  ratio promlab/promtool: {ours_s / ref_s:.3f}x (target <= 0.1x)")
        print(f"  same verdict: {ours_rc == ref_rc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
