"""Scenario <-> rule-pack validation: replay a scenario into memory, evaluate
the packs over it and judge the scenario's expectations.

    run = run_scenario(library.get("cpu-spike"), Path("rulepacks"))
    assert all(v.ok for v in run.verdicts)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.scenarios.evaluate import Episode, alert_rules, evaluate_packs, load_groups, rule_files
from lab.scenarios.expectations import Verdict, check_scenario, uncovered
from lab.scenarios.runner import Replay, render
from lab.scenarios.scenario import Scenario
from lab.server.rules.group import Group
from lab.server.storage.memory import MemoryStorage


@dataclass(frozen=True, slots=True)
class ScenarioRun:
    scenario: type[Scenario]
    replay: Replay
    storage: MemoryStorage
    episodes: list[Episode]
    verdicts: list[Verdict]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)


def replay_into_memory(scenario: type[Scenario]) -> tuple[Replay, MemoryStorage]:
    replay = render(scenario)
    storage = MemoryStorage()
    for s in replay.series:
        storage.add_series(s.labels, s.timestamps, s.values)
    return replay, storage


def run_scenario(scenario: type[Scenario], groups: Sequence[Group] | Path) -> ScenarioRun:
    if isinstance(groups, Path):
        groups = load_groups(rule_files(groups))
    replay, storage = replay_into_memory(scenario)
    episodes = evaluate_packs(storage, groups, replay.grid.start_ms, replay.end_ms)
    return ScenarioRun(scenario, replay, storage, episodes, check_scenario(scenario, episodes))


def coverage(groups: Sequence[Group], runs: Sequence[ScenarioRun]) -> list[str]:
    """Alert rules (name{severity}) that no scenario made fire."""
    names = [(r.name, r.labels.get("severity", "")) for r in alert_rules(groups)]
    return uncovered(names, [ep for run in runs for ep in run.episodes])
