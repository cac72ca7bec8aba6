"""Move a scenario in time: the same incident, ending at a chosen instant.

Library scenarios start at a fixed date so that CI replays are reproducible.
A lab that people look at wants the incident in *their* last few hours
instead, so that a UI's default "last 6 hours" shows it and its alerts are
fresh. Every shape and series is a function of the time since the scenario's
start and of its seeds, so a shifted replay has the same values at the same
offsets; only the timestamps move.

    Live = ending_at(library.get("incident-timeline"), clock.now_ms())
    replay = render(Live)     # its last scrape is at most one interval before now
"""

from __future__ import annotations

from datetime import UTC, datetime

from lab.scenarios.scenario import Scenario
from lab.scenarios.shapes import seconds


def start_for_end(scenario: type[Scenario], end_ms: int) -> int:
    """A start (on the scrape grid's interval) so that every sample of the
    replay, including the per-target scrape offsets of up to one interval, is
    at or before ``end_ms``."""
    interval_ms = round(seconds(scenario.scrape_interval) * 1000)
    duration_ms = round(scenario.duration_s() * 1000)
    latest_start = end_ms - duration_ms - interval_ms
    return latest_start - latest_start % interval_ms


def starting_at(scenario: type[Scenario], start_ms: int) -> type[Scenario]:
    """A subclass of ``scenario`` that starts at ``start_ms`` (whole seconds).

    It lives in this module, so ``library.discover()`` never lists it."""
    when = datetime.fromtimestamp(start_ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return type(scenario.__name__, (scenario,), {"start": when, "__module__": __name__})


def ending_at(scenario: type[Scenario], end_ms: int) -> type[Scenario]:
    """``scenario`` shifted so that its replay ends just before ``end_ms``."""
    return starting_at(scenario, start_for_end(scenario, end_ms))
