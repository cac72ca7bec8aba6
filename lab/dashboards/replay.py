"""Dashboards against a scenario: replay it into memory, evaluate the rule
packs' recording rules (dashboards read them), and describe the window."""

from __future__ import annotations

from pathlib import Path

from lab.dashboards.check import DataSource
from lab.scenarios.evaluate import evaluate_packs, load_rule_files, rule_files
from lab.scenarios.scenario import Scenario
from lab.scenarios.shapes import seconds
from lab.scenarios.validate import replay_into_memory

#: panels are evaluated every 5 minutes of the replay: enough to see data
STEP_MS = 300_000


def scenario_source(scenario: type[Scenario], rulepacks: Path | None) -> DataSource:
    replay, storage = replay_into_memory(scenario)
    if rulepacks is not None:
        groups = load_rule_files(rule_files(rulepacks))
        recording = [g for g in groups if any(r.record for r in g.rules)]
        step = round(seconds(scenario.evaluation_interval) * 1000)
        evaluate_packs(storage, storage, recording, replay.grid.start_ms, replay.end_ms, step)
    return DataSource(storage, replay.grid.start_ms, replay.end_ms, STEP_MS,
                      seconds(scenario.scrape_interval))
