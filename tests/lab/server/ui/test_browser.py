"""The UI in a real browser (Debian's Chromium via playwright): each page
loads, runs its queries against the API and shows the result. Every wait is
bounded (``WAIT_MS``) and waits for a state, never for a duration."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from tests.lab.server.ui.harness import Browser, screenshot

EXPR = "sum by (job) (rate(demo_http_requests_total[5m]))"


def _points(d: str) -> int:
    return len(re.findall(r"[ML]\d", d))


def test_query_page_graph_table_and_error_position(browser: Browser) -> None:
    page = browser.page()
    q = urllib.parse.urlencode({"g0.expr": EXPR, "g0.tab": "graph", "g0.range_input": "6h"})
    page.goto(f"{browser.base}/query?{q}")
    page.wait_for_selector("#graph svg path.line")
    paths = page.locator("#graph svg path.line")
    assert paths.count() == 2  # one line per job
    for i in range(2):
        assert _points(paths.nth(i).get_attribute("d") or "") > 100
    assert "Result series: 2" in page.inner_text("#query-stats")
    screenshot(page, "query")

    page.click("#tab-table")
    page.wait_for_selector("#result-table td.series-name")
    rows = page.locator("#result-table tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().startswith('{job="api"}')
    assert "g0.tab=table" in page.url

    page.fill("#expr", "sum(rate(demo_http_requests_total[5m])")
    page.press("#expr", "Enter")
    page.wait_for_selector("#query-error:not([hidden]) #error-position")
    assert "unclosed left parenthesis" in page.inner_text("#query-error")
    caret_line = page.inner_text("#error-position").splitlines()[-1]
    assert caret_line.index("^") == 38  # 1:39 in the message: the end of the input
    assert page.js_errors == []
    page.close()


def _wait_panels(page: Any) -> None:
    page.wait_for_selector("#panels[data-state=done]")


def test_dashboard_panels_show_data_and_follow_variables(browser: Browser) -> None:
    page = browser.page()
    page.goto(f"{browser.base}/dashboards")
    page.click("text=Demo service")
    _wait_panels(page)
    panels = page.locator(".panel")
    assert panels.count() == 5
    for i in range(panels.count()):
        panel = panels.nth(i)
        title = panel.locator("header").inner_text()
        assert panel.get_attribute("data-state") == "done", title
        assert int(panel.get_attribute("data-series-count") or 0) > 0, title
    # Template variables were resolved and interpolated server-side.
    assert "var-job=api" in page.url and "var-instance=%24__all" in page.url
    requests = page.locator('.panel[data-panel-id="5"] path.line')
    assert requests.count() == 3  # by status
    assert all(_points(requests.nth(i).get_attribute("d") or "") > 50 for i in range(3))
    assert "GiB" in page.inner_text('.panel[data-panel-id="2"] .stat')
    assert page.locator('.panel[data-panel-id="4"] tbody tr').count() == 2  # api's instances
    screenshot(page, "dashboard")

    page.select_option("#var-job", "worker")
    _wait_panels(page)
    assert "var-job=worker" in page.url
    table = page.inner_text('.panel[data-panel-id="4"] tbody')
    assert "worker" in table and "api" not in table
    assert page.js_errors == []
    page.close()


def test_alerts_rules_and_targets_pages(browser: Browser) -> None:
    page = browser.page()
    page.goto(f"{browser.base}/alerts")
    page.wait_for_selector(".alert-group")
    group = page.locator('.alert-group[data-alertname="DemoHighLatency"]')
    assert group.get_attribute("data-state") == "firing"
    assert page.inner_text("#count-firing") == "1" and page.inner_text("#count-pending") == "1"
    firing = group.locator('tr.alert[data-state="firing"]')
    text = firing.inner_text()
    assert 'job="api"' in text and "p99 latency of api is 4.2s." in text
    assert "2026-03-02 16:12:00 UTC" in text and "2h 48m ago" in text  # active since
    screenshot(page, "alerts")
    page.uncheck('#alert-filters input[data-state="firing"]')
    assert page.locator("tr.alert").count() == 1

    page.goto(f"{browser.base}/rules")
    page.wait_for_selector("tr.rule")
    assert page.locator('tr.rule[data-type="alerting"] .badge.firing').count() == 1
    assert "job:demo_http_requests:rate5m" in page.inner_text("#rules")
    screenshot(page, "rules")

    page.goto(f"{browser.base}/targets")
    page.wait_for_selector("tr.target")
    assert page.locator('tr.target[data-health="down"]').inner_text().count("connection refused")
    assert "1/2 up" in page.inner_text("details.group summary").lower()
    screenshot(page, "targets")
    assert page.js_errors == []
    page.close()
