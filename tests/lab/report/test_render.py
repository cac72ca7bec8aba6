"""The replay report: one self-contained HTML file that parses, with an
image per panel, the alert timeline and the expectations' outcomes."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

from lab.report import AlertInterval, ExpectedAlert, FaultWindow, ReplayResult, write_report
from lab.server.ui.grafana import load_dashboard
from tests.lab.server.ui.harness import DATA, NOW_MS, SPEC, START_MS, demo_storage

H = 3_600_000
PNG = b"\x89PNG\r\n\x1a\n"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "img", "br", "link", "input"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()


def _result() -> ReplayResult:
    return ReplayResult(
        name="demo-incident",
        description="Latency rises in the middle third of the demo dataset.",
        start_ms=START_MS,
        end_ms=NOW_MS,
        scrape_interval_ms=SPEC.interval_ms,
        queryable=demo_storage(),
        faults=[
            FaultWindow(
                "slow backend", "api", "latency", START_MS + 2 * H, START_MS + 4 * H + H // 2
            )
        ],
        alerts=[
            AlertInterval(
                "DemoHighLatency",
                {"alertname": "DemoHighLatency", "job": "api"},
                START_MS + 3 * H,
                START_MS + 3 * H + 300_000,
                START_MS + 5 * H,
            ),
            AlertInterval(
                "DemoFlapping",
                {"alertname": "DemoFlapping", "job": "worker"},
                START_MS + H,
                None,
                START_MS + H + 120_000,
            ),
        ],
        expectations=[
            ExpectedAlert(
                "DemoHighLatency",
                {"job": "api"},
                "slow backend",
                START_MS + 2 * H,
                START_MS + 3 * H + H // 2,
                START_MS + 5 * H + H // 2,
            ),
            ExpectedAlert(
                "DemoErrors",
                {"job": "api"},
                "slow backend",
                START_MS + 2 * H,
                START_MS + 2 * H + H // 2,
            ),
        ],
        baseline_end_ms=START_MS + H,
    )


def test_report_is_self_contained_and_complete(tmp_path: Path) -> None:
    dashboard = load_dashboard(DATA / "demo-service.json")
    out = write_report(tmp_path / "report.html", _result(), [dashboard])
    html = out.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(html)
    parser.close()
    assert parser.open == []
    # Nothing is fetched: no external URL, script, stylesheet or font link.
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I)
    assert not [t for t, a in parser.tags if t in ("script", "link", "iframe")]
    images = [a for t, a in parser.tags if t == "img"]
    for img in images:
        src = img["src"] or ""
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    panels = [a for a in images if "panel-plot" in (a.get("class") or "")]
    drawn = [p for p in dashboard.panels if p.drawn and p.targets]
    assert [a["alt"] for a in panels] == [p.title for p in drawn]
    series = [int(a["data-series"] or 0) for t, a in parser.tags if a.get("class") == "panel"]
    assert len(series) == len(drawn) and all(n > 0 for n in series)
    assert {a["id"] for a in images if a.get("id")} == {"timeline-img", "alerts-img"}
    # Expectations: one met, one missed (highlighted); both alert bands listed.
    outcomes = [
        a["data-outcome"]
        for t, a in parser.tags
        if t == "tr" and "expectation" in (a.get("class") or "")
    ]
    assert outcomes == ["ok", "missed"]
    assert "1 of 2 expectations missed" in html
    assert html.count('<tr class="alert">') == 2 and "never" in html  # DemoFlapping: pending only
    assert "slow backend" in html and "+2h00m" in html and "+4h30m" in html


def test_report_from_a_scenario_run(tmp_path: Path) -> None:
    from lab.scenarios.library import get
    from lab.scenarios.validate import run_scenario

    run = run_scenario(get("cpu-spike"), Path(__file__).parents[3] / "rulepacks")
    html = write_report(tmp_path / "cpu-spike.html", run).read_text(encoding="utf-8")
    assert "Replay report: cpu-spike" in html
    assert html.count('data-outcome="ok"') == len(get("cpu-spike").expect)
    assert "runaway process" in html and "quiet baseline" in html
