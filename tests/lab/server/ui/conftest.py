"""Fixtures for the web UI tests (the harness is in ``harness.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lab.server.api.serving import Client, serve
from tests.lab.server.ui.harness import (
    ALERTS,
    CHROMIUM_ARGS,
    RULES,
    TARGETS,
    Browser,
    chromium_path,
    ui_app,
)
from tests.reference import reference_required


@pytest.fixture(scope="module")
def ui() -> Iterator[Client]:
    """The API + UI over the demo data, rules/alerts/targets canned."""
    with serve(lambda: ui_app(rules=RULES, alerts=ALERTS, targets=TARGETS)) as client:
        yield client


@pytest.fixture(scope="module")
def browser(ui: Client) -> Iterator[Browser]:
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[test]')"
    path = chromium_path()
    if not reason and path is None:
        reason = "Chromium is not installed (Debian package: chromium)"
    if reason:
        if reference_required():
            pytest.fail(reason)
        pytest.skip(reason)
    assert path is not None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield Browser(b, ui.base)
        finally:
            b.close()
