"""Scenario replay speed: simulated seconds per wall-clock second.

A 6 h incident over ~10,000 series at a 15 s scrape interval (the canonical
afternoon outage scaled out: nodes, web services with their pods, batch
jobs), measured in one run:

* render: knobs + faults -> every target's series + the scrape loop's own
  series, as numpy columns;
* render + bulk write into the in-memory storage (``add_arrays``);
* render + write + evaluate the rule packs over the replay (rules engine);

each as simulated seconds per wall second. Anchor: real time (1x); the
target is >= 10,000x for render + write.

    .venv/bin/python bench/scenarios.py [--nodes 48] [--services 6] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lab.scenarios.evaluate import evaluate_packs, load_groups, rule_files
from lab.scenarios.runner import render
from lab.scenarios.scenario import Fault, Scenario
from lab.scenarios.shapes import plateau, ramp, sawtooth
from lab.scenarios.targets import BatchJob, Node, web_service
from lab.server.storage.memory import MemoryStorage

ROOT = Path(__file__).resolve().parents[1]
TARGET_X = 10_000


def big_incident(nodes: int, services: int) -> type[Scenario]:
    names = tuple(f"node-{i}" for i in range(nodes))
    svcs = tuple(f"svc-{i}" for i in range(services))

    class Big(Scenario):
        name = "bench-big-incident"
        description = "The canonical outage, scaled out for the benchmark."
        duration = "6h"
        baseline = "1h"
        scrape_interval = "15s"
        targets = (
            *(Node(n, cpus=8, ip=f"10.0.{i // 250}.{i % 250}") for i, n in enumerate(names)),
            *(web_service(s, replicas=8, nodes=names) for s in svcs),
            *(BatchJob(f"job-{i}") for i in range(10)),
        )
        faults = (
            Fault("traffic", at="2h", target=svcs[0], knob="traffic",
                  shape=ramp(1.5, over="20m", hold="2h")),
            Fault("memory", at="2h30m", target=svcs[0], knob="memory", members=(0, 1),
                  shape=ramp(0.5, over="30m") + sawtooth(0.1, period="6m", cycles=5)),
            Fault("cpu", at="3h", target=names[0], knob="cpu",
                  shape=plateau(0.7, hold="40m", rise="5m")),
        )

    return Big


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=48)
    ap.add_argument("--services", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    scenario = big_incident(args.nodes, args.services)
    simulated = scenario.duration_s()
    groups = load_groups(rule_files(ROOT / "rulepacks"))

    best = {"render": float("inf"), "write": float("inf"), "rules": float("inf")}
    series = samples = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        replay = render(scenario)
        t1 = time.perf_counter()
        storage = MemoryStorage()
        for s in replay.series:
            storage.add_series(s.labels, s.timestamps, s.values)
        t2 = time.perf_counter()
        evaluate_packs(storage, groups, replay.grid.start_ms, replay.end_ms)
        t3 = time.perf_counter()
        best["render"] = min(best["render"], t1 - t0)
        best["write"] = min(best["write"], t2 - t0)
        best["rules"] = min(best["rules"], t3 - t0)
        series, samples = len(replay.series), replay.samples
    print(f"incident: {simulated / 3600:.0f} h simulated, {series} series, {samples} samples "
          f"({scenario.scrape_interval} scrapes)")
    print("anchor: real time = 1x; target >= 10,000x for render + write")
    for what, label in (("render", "render"), ("write", "render + bulk write"),
                        ("rules", "render + write + rule packs")):
        x = simulated / best[what]
        print(f"  {label:28} {best[what]:7.3f} s wall  {x:12,.0f}x real time"
              f"  ({x / TARGET_X:.1f}x the target)")


if __name__ == "__main__":
    main()
