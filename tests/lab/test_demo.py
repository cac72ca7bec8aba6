"""`promlab demo`: the canonical incident replayed so it ends now, summarised,
reported, and served by the lab server."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lab.cli import main
from lab.demo import replay
from lab.scenarios.library import get

ROOT = Path(__file__).resolve().parents[2]
RULEPACKS = ROOT / "rulepacks"
EXPECTED = {e.alert for e in get("incident-timeline").expect}
#: how long the served demo may take to come up before the test gives up (a bound, not a check)
STARTUP_BOUND_S = 120


@pytest.fixture
def one_dashboard(tmp_path: Path) -> Path:
    """The overview board alone: the report plots every panel, fewer is faster."""
    boards = tmp_path / "boards"
    boards.mkdir()
    shutil.copy(ROOT / "dashboards" / "overview.json", boards)
    return boards


def test_replay_ends_at_the_requested_time() -> None:
    end = 1_795_000_000_123
    demo = replay(RULEPACKS, end_ms=end)
    last = max(int(s.timestamps[-1]) for s in demo.run.replay.series if s.timestamps.size)
    interval = demo.run.replay.grid.interval_ms
    assert end - 2 * interval < last <= end
    assert demo.run.ok, [v for v in demo.run.verdicts if not v.ok]
    assert demo.story_start_ms == get("incident-timeline").start_ms()


def test_demo_no_serve_summarises_and_writes_the_report(tmp_path: Path, one_dashboard: Path
                                                        ) -> None:
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    out = CliRunner().invoke(main, ["demo", "--no-serve", "--report", str(report),
                                    "--dashboards", str(one_dashboard)])
    assert out.exit_code == 0, out.output
    text = out.output
    assert "incident-timeline" in text and "Expectations: 12/12 met" in text
    section = text.split("Alerts that fired")[1].split("Expectations:")[0]
    rows = [line for line in section.splitlines()[1:] if line.strip()]
    named = {line.split()[0].split("{")[0] for line in rows}
    assert named >= EXPECTED, EXPECTED - named
    for line in rows:  # pending -> firing -> resolved, each "+XhYYm HH:MM"
        times = re.findall(r"\+(\d+)h(\d\d)m (\d\d):(\d\d)", line)
        assert len(times) in (2, 3), line
        offsets = [int(h) * 60 + int(m) for h, m, _, _ in times]
        assert offsets == sorted(offsets), line
    assert f"Report: {report.resolve()}" in text
    html = report.read_text()
    assert "incident-timeline" in html and html.count("data:image/png;base64,") >= 10


def _read_until(proc: subprocess.Popen[str], pattern: str, deadline: float) -> re.Match[str]:
    """The first output line matching ``pattern``; a reader thread feeds the
    lines so that waiting is bounded (a buffered pipe defeats select)."""
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = proc.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern!r}; output:\n{''.join(seen)}")


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.status, resp.read().decode()


def _query(base: str, path: str, **params: str) -> Any:
    status, body = _get(f"{base}{path}?{urllib.parse.urlencode(params)}" if params else base + path)
    assert status == 200
    data = json.loads(body)
    assert data["status"] == "success", data
    return data["data"]


def test_demo_serves_the_replay(tmp_path: Path, one_dashboard: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "lab", "demo", "--report", str(tmp_path / "report.html"),
         "--dashboards", str(one_dashboard), "--web.listen-address", "127.0.0.1:0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as proc:  # fmt: skip
        try:
            _check_served(proc)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
    assert proc.returncode == 0


def _check_served(proc: subprocess.Popen[str]) -> None:
    base = _read_until(proc, r"The lab UI: (http://\S+)",
                       time.monotonic() + STARTUP_BOUND_S).group(1)
    # The alerts still active at the end of the replay (which ended moments ago).
    now = _query(base, "/api/v1/query", query="ALERTS")
    assert {r["metric"]["alertname"] for r in now["result"]} >= {"ServiceErrorBudgetBurn"}
    # ... and the whole alert history of the incident.
    end = time.time()
    history = _query(base, "/api/v1/query_range", query='ALERTS{alertstate="firing"}',
                     start=str(end - 5 * 3600), end=str(end), step="60")
    assert {r["metric"]["alertname"] for r in history["result"]} >= EXPECTED
    # The server's rule manager carries on from the replay's ALERTS_FOR_STATE.
    # What was still firing at the end of the replay is firing on the Alerts page.
    alerts = _query(base, "/api/v1/alerts")["alerts"]
    firing = {(a["labels"]["alertname"], a["labels"].get("long")) for a in alerts
              if a["state"] == "firing"}
    assert ("ServiceErrorBudgetBurn", "1d") in firing, alerts
    assert _get(f"{base}/alerts")[0] == 200
    status, page = _get(f"{base}/dashboards/promlab-overview")
    assert status == 200 and "Overview" in page
    plan = _query(base, "/ui/api/dashboards/promlab-overview")
    assert all(not v["error"] for v in plan["variables"])
    # The board's default range ("now-6h" .. "now") holds the replay: its
    # panels' queries, as the browser runs them, return the incident's data.
    assert plan["to"] - plan["from"] == 6 * 3_600_000 and plan["to"] >= end * 1000 - 60_000
    drawn = [p for p in plan["panels"] if p["drawn"] and p["targets"]]
    empty = [p["title"] for p in drawn if not any(_query(
        base, "/api/v1/query_range", query=t["expr"], start=str(p["start"] / 1000),
        end=str(p["end"] / 1000), step=str(p["step"] / 1000))["result"] for t in p["targets"])]
    assert drawn and not empty
