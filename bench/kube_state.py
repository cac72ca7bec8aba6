"""kube-state exporter benchmark (runnable alone: ``.venv/bin/python bench/kube_state.py``).

Starts ``promlab cluster simulate`` (1,000 nodes, 10,000 pods, ~900
deployments/replicasets/services) and ``promlab kube-state-metrics`` as
separate processes, then measures the exporter: time to the first complete
scrape, scrape latency, RSS, and CPU per 1,000 watch events (label patches on
pods) at two cluster sizes, to show the per-event cost does not grow with the
cluster. There is no reference KSM binary here: absolute figures are printed
next to the targets (scrape < 1 s, RSS < 300 MB).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
EVENTS = 1000
TICKS = os.sysconf("SC_CLK_TCK")


def _http(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> bytes:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return bytes(resp.read())


def _start(args: list[str], lines: int) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [PY, "-m", "lab", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, [proc.stdout.readline().strip() for _ in range(lines)]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(nodes: int, pods: int, *, scrapes: int = 5) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        cluster, out = _start(
            [
                "cluster",
                "simulate",
                "--listen",
                "127.0.0.1:0",
                "--kubeconfig-out",
                str(kubeconfig),
                "--nodes",
                str(nodes),
                "--pods",
                str(pods),
                "--history",
                "50000",
            ],
            1,
        )
        api = out[0].rsplit(" ", 1)[1]
        t0 = time.monotonic()
        ksm, out = _start(
            [
                "kube-state-metrics",
                "--kubeconfig",
                str(kubeconfig),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--telemetry-host",
                "127.0.0.1",
                "--telemetry-port",
                "0",
                "--metric-labels-allowlist",
                "pods=[bench]",
            ],
            2,
        )
        main, tele = (f"http://127.0.0.1:{line.rsplit(':', 1)[1]}" for line in out)
        try:
            while True:
                try:
                    _http(f"{tele}/readyz", timeout=5)
                    break
                except OSError:
                    time.sleep(0.05)
            body = _http(f"{main}/metrics")
            first = time.monotonic() - t0
            lat = []
            for _ in range(scrapes):
                s = time.monotonic()
                body = _http(f"{main}/metrics")
                lat.append(time.monotonic() - s)
            series = body.count(b"\n") - body.count(b"\n#")
            rss = _rss_mb(ksm.pid)
            # Watch events: label patches on EVENTS pods, each one MODIFIED event.
            listing = json.loads(_http(f"{api}/api/v1/pods?limit={EVENTS}"))
            targets = [
                (p["metadata"]["namespace"], p["metadata"]["name"]) for p in listing["items"]
            ]
            cpu0 = _cpu_seconds(ksm.pid)
            for i, (ns, name) in enumerate(targets):
                patch = json.dumps({"metadata": {"labels": {"bench": str(i)}}}).encode()
                _http(
                    f"{api}/api/v1/namespaces/{ns}/pods/{name}",
                    method="PATCH",
                    body=patch,
                    headers={"Content-Type": "application/merge-patch+json"},
                )
            # Wait for the exporter to go idle (CPU flat for a second) instead of
            # polling scrapes, which would bill scrape cost to the events.
            prev, idle = _cpu_seconds(ksm.pid), 0
            deadline = time.monotonic() + 120
            while idle < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
                now = _cpu_seconds(ksm.pid)
                idle = idle + 1 if now - prev < 0.02 else 0
                prev = now
            cpu_events = prev - cpu0
            last = targets[-1][1]
            body = _http(f"{main}/metrics?resources=pods")
            want = f'pod="{last}"'.encode()
            assert any(
                want in ln and f'label_bench="{len(targets) - 1}"'.encode() in ln
                for ln in body.splitlines()
            ), "the last event was not applied"
            return {
                "first_scrape_s": first,
                "scrape_p50_s": statistics.median(lat),
                "scrape_max_s": max(lat),
                "series": series,
                "rss_mb": rss,
                "cpu_per_1000_events_s": cpu_events * 1000 / len(targets),
                "rss_after_events_mb": _rss_mb(ksm.pid),
            }
        finally:
            for proc in (ksm, cluster):
                proc.terminate()
                proc.communicate(timeout=30)


def main() -> None:
    big = run(1000, 10_000)
    small = run(100, 1_000)
    print("kube-state exporter vs simulated cluster (no reference KSM binary here)")
    print(f"{'':34}{'1000 nodes/10k pods':>22}{'100 nodes/1k pods':>20}")
    rows = [
        ("time to first complete scrape (s)", "first_scrape_s", "{:.2f}"),
        ("scrape latency p50 (s)", "scrape_p50_s", "{:.3f}"),
        ("scrape latency max (s)", "scrape_max_s", "{:.3f}"),
        ("series per scrape", "series", "{:.0f}"),
        ("RSS after sync (MB)", "rss_mb", "{:.0f}"),
        ("RSS after events (MB)", "rss_after_events_mb", "{:.0f}"),
        ("CPU per 1000 watch events (s)", "cpu_per_1000_events_s", "{:.3f}"),
    ]
    for label, key, fmt in rows:
        print(f"{label:34}{fmt.format(big[key]):>22}{fmt.format(small[key]):>20}")
    ratio = big["cpu_per_1000_events_s"] / max(small["cpu_per_1000_events_s"], 1e-9)
    print(f"CPU/event ratio big/small: {ratio:.2f} (≈1: independent of cluster size)")
    print(
        f"targets: scrape < 1 s -> {'OK' if big['scrape_p50_s'] < 1 else 'MISSED'}; "
        f"RSS < 300 MB -> {'OK' if big['rss_mb'] < 300 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
