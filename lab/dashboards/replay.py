"""Dashboards against a scenario: replay it into memory, evaluate the rule
packs' recording rules (dashboards read them), and describe the window."""

from __future__ import annotations

from pathlib import Path

from lab.dashboards.check import DataSource
from lab.scenarios.evaluate import evaluate_packs, load_groups, recording_groups, rule_files
from lab.scenarios.scenario import Scenario
from lab.scenarios.shapes import seconds
from lab.scenarios.validate import replay_into_memory

#: panels are evaluated every 5 minutes of the replay: enough to see data
STEP_MS = 300_000


def scenario_source(scenario: type[Scenario], rulepacks: Path | None) -> DataSource:
    replay, storage = replay_into_memory(scenario)
    if rulepacks is not None:
        groups = recording_groups(load_groups(rule_files(rulepacks)))
        evaluate_packs(storage, groups, replay.grid.start_ms, replay.end_ms)
    return DataSource(storage, replay.grid.start_ms, replay.end_ms, STEP_MS,
                      seconds(scenario.scrape_interval))
