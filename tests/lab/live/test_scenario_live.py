"""Live scenarios: the time-scaled rules, the live plan, and one short
scenario run for real on loopback (``slow-checkout`` at x60, ~1 minute),
with every process gone afterwards — also when the run fails."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import psutil
import pytest
import yaml

from lab.live.errors import LiveError
from lab.live.live_plan import LATENCY_CAP_MS, NotLiveCapable, live_capable, plan
from lab.live.scenario_live import Ports, judge, run_live, scrape_config
from lab.live.timescale import scale_duration, scale_expr, scale_rule_file
from lab.model.labels import Labels
from lab.scenarios.evaluate import Episode, rule_files
from lab.scenarios.library import discover, get
from lab.server.rules.rulefile import load_rule_file

REPO = Path(__file__).resolve().parents[3]
RULEPACKS = REPO / "rulepacks"


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("rate(x[5m])", "rate(x[5s])"),
        ("max_over_time(x[1h:5m])", "max_over_time(x[1m:5s])"),
        ("x offset 1h > 2 * (y offset -30m)", "x offset 1m > 2 * (y offset -30s)"),
        ('rate(x{route="/a[5m]", b=~"offset 1h"}[3d])',
         'rate(x{route="/a[5m]", b=~"offset 1h"}[1h12m])'),
        ('label_replace(x, "d", "[5m]", "", "")', 'label_replace(x, "d", "[5m]", "", "")'),
        ("predict_linear(x[6h], 4 * 3600) < 0", "predict_linear(x[6m], 4 * 3600) < 0"),
        ("my_offset_total[90s]", "my_offset_total[1s500ms]"),
    ],
)
def test_scale_expr(expr: str, want: str) -> None:
    assert scale_expr(expr, 60) == want


def test_scale_durations_and_rule_files(tmp_path: Path) -> None:
    assert scale_duration("10m", 60) == "10s"
    assert scale_duration("1ms", 60) == "1ms"  # never zero
    assert scale_duration("0s", 60) == "0s"
    for src in rule_files(RULEPACKS):
        load_rule_file(scale_rule_file(src, tmp_path / src.name, 60))  # still valid rules
    doc = yaml.safe_load((tmp_path / "golden-signals.rules.yml").read_text())
    group = next(g for g in doc["groups"] if g["name"] == "golden-signals-latency")
    assert group["interval"] == "1s"
    assert [r["for"] for r in group["rules"]] == ["10s", "5s"]


def test_live_capable_library() -> None:
    capable = sorted(n for n, cls in discover().items() if live_capable(cls))
    assert {"cpu-spike", "error-burst", "latency-degradation", "slow-checkout"} <= set(capable)
    assert "memory-pressure-oom" not in capable and "crashloop" not in capable
    with pytest.raises(NotLiveCapable, match="no live equivalent"):
        plan(get("crashloop"), 60)
    with pytest.raises(LiveError, match="time-scale"):
        plan(get("slow-checkout"), 0.5)


def test_plan_follows_the_scenario() -> None:
    p = plan(get("slow-checkout"), 60)
    assert p.duration_s == 50.0
    assert p.latency_ms[p.at(5.0)] == 0  # baseline
    assert p.latency_ms[p.at(20.0)] == LATENCY_CAP_MS  # the plateau (40x), capped
    assert p.latency_ms[p.at(45.0)] == 0  # recovered
    assert p.error_rate.max() == 0
    stages = p.load_stages()
    assert stages == [{"duration": 50.0, "users": 8, "spawn_rate": 8}]
    cpu = plan(get("cpu-spike"), 60, host_cores=2)
    assert [(b.start_s, b.duration_s, b.cores) for b in cpu.cpu] == [(60.0, 45.0, 2)]
    assert cpu.node is not None and cpu.node.name == "node-2"
    errors = plan(get("error-burst"), 60)
    assert errors.error_rate[errors.at(70.0)] == pytest.approx(0.15, abs=0.01)


def test_scrape_config_carries_the_scenario_labels() -> None:
    cfg = scrape_config(plan(get("cpu-spike"), 60), Ports(1, 2, 3, 4, 5))
    assert cfg["global"]["scrape_interval"] == "500ms"
    node = next(j for j in cfg["scrape_configs"] if j["job_name"] == "node")
    assert node["static_configs"] == [{"targets": ["127.0.0.1:2"],
                                       "labels": {"instance": "node-2:9100"}}]
    web = scrape_config(plan(get("slow-checkout"), 60), Ports(1, 2, 3, 4, 5))
    job = next(j for j in web["scrape_configs"] if j["job_name"] == "checkout")
    assert job["static_configs"][0]["labels"] == {"namespace": "shop"}
    assert all(t.startswith("127.0.0.1:") for j in web["scrape_configs"]
               for sc in j["static_configs"] for t in sc["targets"])


def test_judge_ignores_the_hosts_own_alerts_in_the_baseline() -> None:
    sc = get("slow-checkout")
    start = sc.start_ms()

    def ep(alert: str, at_min: float, end_min: float | None, **labels: str) -> Episode:
        lab = Labels.of(labels, alertname=alert)
        end = None if end_min is None else start + int(end_min * 60_000)
        return Episode(alert, lab, start + int(at_min * 60_000), end, start)

    episodes = [
        ep("NodeFilesystemAlmostOutOfSpace", 1, None, instance="x"),  # the host's, not ours
        ep("ServiceLatencyHigh", 26, 40, job="checkout", severity="warning"),
        ep("ServiceLatencyHigh", 21, 40, job="checkout", severity="critical"),
    ]
    assert [v.ok for v in judge(sc, episodes)] == [True, True, True]
    noisy = [*episodes, ep("ServiceLatencyHigh", 2, 3, job="checkout", severity="warning")]
    assert not judge(sc, noisy)[0].ok
    cpu = judge(get("cpu-spike"), [])  # nothing fired at all
    assert [(v.ok, v.detail.startswith("not judged live")) for v in cpu] == [
        (True, False), (False, False), (True, True)]  # NodeSystemSaturation: load average


def _children() -> set[int]:
    """This process's descendants still running (zombies are reaped, so not counted)."""
    return {p.pid for p in psutil.Process().children(recursive=True)
            if p.status() != psutil.STATUS_ZOMBIE}


def test_live_run_slow_checkout(tmp_path: Path) -> None:
    """The CI live scenario: real processes on loopback for ~50 s at x60."""
    before = _children()
    lines: list[str] = []
    run = run_live(get("slow-checkout"), 60.0, RULEPACKS, echo=lines.append,
                   workdir=tmp_path / "run")
    log = "\n".join(lines + [f"{v.ok} {v.what}: {v.detail}" for v in run.verdicts])
    assert run.ok, log
    assert any("FIRING   ServiceLatencyHigh" in line for line in lines), log
    assert _children() <= before
    # The rules the run used were the scaled copies, next to the TSDB it wrote,
    # named in the server's own configuration and evaluated at the scaled interval.
    assert (tmp_path / "run" / "rules" / "golden-signals.rules.yml").exists()
    cfg = yaml.safe_load((tmp_path / "run" / "prometheus.yml").read_text())
    assert cfg["rule_files"] == [str(tmp_path / "run" / "rules" / "*.yml")]
    assert cfg["global"]["evaluation_interval"] == "1s"


def test_live_run_cleans_up_on_failure(tmp_path: Path) -> None:
    """An error once everything is up (here: from the progress callback) still
    stops and reaps every child before it propagates. On the way, the running
    lab server (``promlab server``) answers KEDA's metrics-api shape and lists
    the scaled rule groups it evaluates."""

    class Boom(Exception):
        pass

    before = _children()
    answers: list[dict[str, object]] = []
    groups: list[str] = []

    def echo(line: str) -> None:
        if not line.startswith("  lab server "):
            return
        assert len(_children() - before) >= 5, "the lab should be running now"
        server = line.split()[2]
        assert server.startswith("http://127.0.0.1:")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{server}/scaling/v1/metrics/checkout_rps", timeout=10) as r:
            answers.append(json.loads(r.read()))
        with opener.open(f"{server}/api/v1/rules", timeout=10) as r:
            groups.extend(g["name"] for g in json.loads(r.read())["data"]["groups"])
        raise Boom(line)

    with pytest.raises(Boom):
        run_live(get("slow-checkout"), 60.0, RULEPACKS, echo=echo, workdir=tmp_path / "run")
    assert _children() <= before
    assert answers and answers[0]["metric"] == "checkout_rps"
    assert isinstance(answers[0]["value"], float)
    assert "golden-signals-latency" in groups


@pytest.mark.slow
def test_live_run_latency_degradation(tmp_path: Path) -> None:
    """A longer library scenario live (2.5 minutes at x60)."""
    before = _children()
    lines: list[str] = []
    run = run_live(get("latency-degradation"), 60.0, RULEPACKS, echo=lines.append,
                   workdir=tmp_path / "run")
    assert run.ok, "\n".join(lines + [f"{v.ok} {v.what}: {v.detail}" for v in run.verdicts])
    assert _children() <= before
