"""Differential test against the real promtool (Debian 2.42): generated unit
tests with alerts (for, keep_firing_for), recording rules and templates
(humanize, printf, query). Expectations are deliberately empty, so both tools
fail and print every alert and sample they got: the verdicts and the reported
alerts/samples must be identical. Series are sampled every minute and windows
are not multiples of a minute, so 2.x's closed windows and 3.x's left-open
ones see the same samples."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from lab.server.rules.unittest_run import Options, run_test_file

pytestmark = pytest.mark.reference

RULES = {
    "groups": [
        {
            "name": "recording",
            "rules": [
                {"record": "job:cpu:sum", "expr": "sum by (job) (cpu)"},
                {"record": "job:cpu:max_delta", "expr": "max by (job) (delta(cpu[150s]))"},
            ],
        },
        {
            "name": "alerts",
            "rules": [
                {
                    "alert": "HighCPU",
                    "expr": "cpu > 70",
                    "for": "3m",
                    "keep_firing_for": "2m",
                    "labels": {"severity": "warning", "host": "{{ $labels.instance | toUpper }}"},
                    "annotations": {
                        "summary": "{{ $labels.instance }} at {{ $value | humanize }}",
                        "description": '{{ printf "%.2f" $value }} of {{ $labels.job }}',
                    },
                },
                {
                    "alert": "CPUJump",
                    "expr": "delta(cpu[150s]) > 20",
                    "for": "1m",
                    "annotations": {"summary": "{{ $value | humanizePercentage }}"},
                },
                {
                    "alert": "AvgHigh",
                    "expr": "job:cpu:sum > 165",
                    "for": "2m",
                    "labels": {"severity": "critical"},
                    "annotations": {"summary": "{{ humanizeDuration $value }}"},
                },
                {
                    "alert": "VeryHigh",
                    "expr": "cpu > 90",
                    "annotations": {
                        "hosts": '{{ with query "count(cpu > 90)" }}'
                        "{{ . | first | value }}{{ end }}",
                    },
                },
            ],
        },
    ]
}


def _series(rng: random.Random, n: int = 61) -> str:
    v, out = 50, []
    for _ in range(n):
        v = max(0, min(100, v + rng.choice([-15, -7, -3, 0, 4, 9, 16])))
        out.append(str(v))
    return " ".join(out)


def _test_file(seed: int, rules: str) -> dict[str, object]:
    rng = random.Random(seed)
    series = [
        {"series": f'cpu{{job="node", instance="i{i}"}}', "values": _series(rng)} for i in range(3)
    ]
    times = [f"{m}m" for m in range(0, 61, 4)]
    alerts = [
        {"eval_time": t, "alertname": a, "exp_alerts": []}
        for t in times
        for a in ("HighCPU", "CPUJump", "AvgHigh", "VeryHigh")
    ]
    promql = [
        {"expr": e, "eval_time": t, "exp_samples": []}
        for t in times[::3]
        for e in (
            "job:cpu:sum",
            "job:cpu:max_delta",
            'ALERTS{alertname="HighCPU"}',
            "ALERTS_FOR_STATE",
        )
    ]
    return {
        "rule_files": [rules],
        "evaluation_interval": "1m",
        # promtool orders groups through a Go map unless told: pin the order
        "group_eval_order": ["recording", "alerts"],
        "tests": [
            {
                "name": f"seed {seed}",
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": alerts,
                "promql_expr_test": promql,
            }
        ],
    }


def _blocks(output: str) -> list[str]:
    """Failure texts, without promtool's header or our location lines."""
    text = "\n".join(
        ln
        for ln in output.splitlines()
        if not re.match(r"\s+at \S+:\d+$|Unit Testing:|  FAILED:|  SUCCESS", ln)
    )
    blocks = [b.strip("\n") for b in text.split("\n\n")]
    return [b for b in blocks if b.strip()]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_alerts_and_samples_as_promtool(seed: int, tmp_path: Path, promtool: str) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(RULES, sort_keys=False))
    path = tmp_path / "test.yml"
    path.write_text(yaml.safe_dump(_test_file(seed, "rules.yml"), sort_keys=False))
    ref = subprocess.run(
        [promtool, "test", "rules", "test.yml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    ours = run_test_file(str(path), Options())
    assert ours.groups[0].path == "step-by-step (alert 'VeryHigh' runs queries in annotations)"
    assert (ref.returncode == 0) == ours.ok
    ref_blocks = _blocks(ref.stdout)
    our_blocks = [f.text for g in ours.groups for f in g.failures]
    assert our_blocks == ref_blocks
    # the vectorised path (without the query annotation) agrees with promtool too
    rules = yaml.safe_load(yaml.safe_dump(RULES))
    rules["groups"][1]["rules"].pop()
    (tmp_path / "rules2.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
    doc = _test_file(seed, "rules2.yml")
    for case in doc["tests"][0]["alert_rule_test"]:  # type: ignore[index]
        if case["alertname"] == "VeryHigh":
            case["alertname"] = "HighCPU"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    ref = subprocess.run(
        [promtool, "test", "rules", "test.yml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    ours = run_test_file(str(path), Options())
    assert ours.groups[0].path == "vectorised"
    assert [f.text for g in ours.groups for f in g.failures] == _blocks(ref.stdout)


def test_passing_file_passes_in_both(tmp_path: Path, promtool: str) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(RULES, sort_keys=False))
    doc = {
        "rule_files": ["rules.yml"],
        "tests": [
            {
                "input_series": [{"series": 'cpu{job="node", instance="a"}', "values": "80x10"}],
                "alert_rule_test": [
                    {"eval_time": "2m", "alertname": "HighCPU", "exp_alerts": []},
                    {
                        "eval_time": "3m",
                        "alertname": "HighCPU",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "job": "node",
                                    "instance": "a",
                                    "severity": "warning",
                                    "host": "A",
                                },
                                "exp_annotations": {
                                    "summary": "a at 80",
                                    "description": "80.00 of node",
                                },
                            }
                        ],
                    },
                ],
                "promql_expr_test": [
                    {
                        "expr": "job:cpu:sum",
                        "eval_time": "5m",
                        "exp_samples": [{"labels": 'job:cpu:sum{job="node"}', "value": 80}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    ref = subprocess.run(
        [promtool, "test", "rules", "test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ref.returncode == 0, ref.stderr
    assert run_test_file(str(tmp_path / "test.yml"), Options()).ok
