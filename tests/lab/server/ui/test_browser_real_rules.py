"""The Alerts and Rules pages in a real browser over a real ``promlab server``:
the demo dataset preloaded, a rule file from the configuration, the rule
manager evaluating it, and the pages showing what ``/api/v1/alerts`` and
``/api/v1/rules`` answer — an alert firing end to end, no canned documents.

The server's clock runs at real speed from the dataset's end, so rules
evaluate over the preloaded data. Every wait is bounded and waits for a state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.clock import RealClock
from lab.scenarios.dataset import DemoDataset
from lab.server.app import PromlabServer, ServerOptions
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.api.serving import Client
from tests.lab.server.inprocess import running_server
from tests.lab.server.ui.harness import NOW_MS, SPEC, Browser, screenshot

RULES = """\
groups:
  - name: demo.errors
    interval: 1s
    rules:
      - record: job:demo_http_errors:rate5m
        expr: sum by (job) (rate(demo_http_requests_total{status="500"}[5m]))
      - alert: DemoErrorRate
        expr: sum by (job) (rate(demo_http_requests_total{status="500"}[5m])) > 1
        labels: {severity: warning}
        annotations:
          summary: "{{ $labels.job }} serves {{ $value | printf \\"%.1f\\" }} errors/s"
      - alert: DemoErrorRateSustained
        expr: sum by (job) (rate(demo_http_requests_total{status="500"}[5m])) > 1
        for: 1h
        labels: {severity: page}
"""


class ShiftedClock(RealClock):
    """Real time moved so that the server starts at the dataset's end."""

    def __init__(self, start_ms: int) -> None:
        self._offset = start_ms - super().now_ms()

    def now_ms(self) -> int:
        return super().now_ms() + self._offset


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """A real server over the demo data with rules (overrides the canned ``ui``)."""
    directory: Path = tmp_path_factory.mktemp("real-rules")
    (directory / "demo.rules.yml").write_text(RULES)
    config = directory / "prometheus.yml"
    config.write_text("global:\n  evaluation_interval: 1s\nrule_files: ['demo.rules.yml']\n")
    storage = MemoryStorage()
    DemoDataset(SPEC).load_into(storage)
    options = ServerOptions(config_file=str(config), listen_addresses=("127.0.0.1:0",))
    server = PromlabServer(options, storage=storage, clock=ShiftedClock(NOW_MS))
    with running_server(server) as running:
        yield running.client


def _wait_firing(ui: Client) -> None:
    """Both rule evaluations have happened (bounded; the browser waits too)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alerts = ui.get("/api/v1/alerts").json()["data"]["alerts"]
        if {a["state"] for a in alerts} == {"firing", "pending"}:
            return
        time.sleep(0.05)
    raise AssertionError("the demo alerts did not fire within 30 s")


def test_alerts_and_rules_pages_over_a_real_server(ui: Client, browser: Browser) -> None:
    _wait_firing(ui)
    page = browser.page()
    page.goto(f"{browser.base}/alerts")
    group = page.locator('.alert-group[data-alertname="DemoErrorRate"]')
    group.wait_for()
    assert group.get_attribute("data-state") == "firing"
    firing = group.locator('tr.alert[data-state="firing"]')
    assert firing.count() == 2
    text = group.inner_text()
    assert 'job="api"' in text and 'job="worker"' in text
    assert "api serves 2.4 errors/s" in text
    sustained = page.locator('.alert-group[data-alertname="DemoErrorRateSustained"]')
    assert sustained.get_attribute("data-state") == "pending"
    assert page.inner_text("#count-firing") == "2" and page.inner_text("#count-pending") == "2"
    screenshot(page, "alerts-real")

    page.goto(f"{browser.base}/rules")
    page.wait_for_selector("tr.rule")
    assert page.locator('tr.rule[data-type="alerting"] .badge.firing').count() == 1
    assert "job:demo_http_errors:rate5m" in page.inner_text("#rules")
    screenshot(page, "rules-real")
    assert page.js_errors == []
    page.close()
