"""The vectorised evaluation reproduces the step-by-step loop exactly:
generated inputs with gaps and staleness markers, recording rules feeding
later rules and other groups, ALERTS read by a later rule, keep_firing_for,
absent(), query_offset. Expectations are empty so every alert and sample
either path produced is printed, and the two printouts must be identical."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from lab.server.rules.unittest_run import Options, run_test_file

GROUPS = [
    {"name": "first", "rules": [
        {"record": "job:x:sum", "expr": "sum by (job) (x)"},
        {"alert": "XHigh", "expr": "x > 6", "for": "2m", "keep_firing_for": "3m",
         "labels": {"team": "{{ $labels.job }}"},
         "annotations": {"summary": "{{ $labels.i }} is {{ $value | humanize }}"}},
        {"record": "firing:count", "expr": 'count by (job) (ALERTS{alertname="XHigh"})'},
    ]},
    {"name": "second", "query_offset": "30s", "rules": [
        {"alert": "SumHigh", "expr": "job:x:sum > 12", "for": "1m",
         "annotations": {"v": '{{ printf "%.1f" $value }}'}},
        {"record": "job:x:delta", "expr": "sum by (job) (delta(x[150s]))"},
        {"alert": "Missing", "expr": 'absent(x{job="b"})', "for": "3m"},
        {"alert": "Flapping", "expr": "firing:count >= 1", "keep_firing_for": "2m"},
    ]},
]  # fmt: skip

NAMES = ("XHigh", "SumHigh", "Missing", "Flapping")
EXPRS = ("job:x:sum", "firing:count", "ALERTS", "ALERTS_FOR_STATE", "job:x:delta")


def _values(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        out.append("_" if r < 0.08 else "stale" if r < 0.12 else str(rng.randint(0, 10)))
    return " ".join(out)


def _doc(seed: int, rules: str) -> dict[str, object]:
    rng = random.Random(seed)
    series = [
        {"series": f'x{{job="{job}", i="{i}"}}', "values": _values(rng, 41)}
        for i, job in enumerate("aab")
    ]
    times = [f"{m}m" for m in range(0, 41, 3)] + ["17m30s", "40m"]
    return {
        "rule_files": [rules],
        "evaluation_interval": "1m",
        "tests": [{
            "name": f"seed {seed}", "interval": "1m", "input_series": series,
            "alert_rule_test": [{"eval_time": t, "alertname": a, "exp_alerts": []}
                                for t in times for a in NAMES],
            "promql_expr_test": [{"expr": e, "eval_time": t, "exp_samples": []}
                                 for t in times for e in EXPRS],
        }],
    }  # fmt: skip


def _failures(path: Path, vectorise: bool) -> tuple[str, list[str]]:
    res = run_test_file(str(path), Options(vectorise=vectorise))
    return res.groups[0].path, [f.text for f in res.groups[0].failures]


@pytest.mark.parametrize("seed", range(1, 7))
def test_vectorised_equals_step_by_step(seed: int, tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": GROUPS}, sort_keys=False))
    path = tmp_path / "t.yml"
    path.write_text(yaml.safe_dump(_doc(seed, "rules.yml"), sort_keys=False))
    vec_path, vec = _failures(path, True)
    step_path, step = _failures(path, False)
    assert vec_path == "vectorised"
    assert step_path == "step-by-step (disabled)"
    assert len(vec) > 20  # the comparison is not vacuous
    assert vec == step


def test_reading_a_later_rule_falls_back(tmp_path: Path) -> None:
    groups = [{"name": "g", "rules": [
        {"record": "early", "expr": "late + 1"},
        {"record": "late", "expr": "sum(x)"},
    ]}]  # fmt: skip
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": groups}))
    path = tmp_path / "t.yml"
    path.write_text(yaml.safe_dump(_doc(1, "rules.yml")))
    vec_path, vec = _failures(path, True)
    assert vec_path == "step-by-step (rule 'early' reads late written by later rule 'late')"
    assert vec == _failures(path, False)[1]
