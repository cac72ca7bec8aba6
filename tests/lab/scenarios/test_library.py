"""Scenario <-> rule-pack validation over the whole incident library.

Every scenario replays into memory, the rule packs are evaluated over it,
and its expectations must hold: its alerts fire within the declared time of
the fault's onset, resolve after recovery, and nothing fires in the baseline.
Every alert rule of every pack must be fired by at least one scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.scenarios import library
from lab.scenarios.evaluate import load_groups, rule_files
from lab.scenarios.validate import ScenarioRun, coverage, run_scenario
from lab.server.rules.group import Group

RULEPACKS = Path(__file__).resolve().parents[3] / "rulepacks"
SCENARIOS = library.discover()


@pytest.fixture(scope="module")
def groups() -> list[Group]:
    return load_groups(rule_files(RULEPACKS))


@pytest.fixture(scope="module")
def runs() -> dict[str, ScenarioRun]:
    return {}


def test_library_has_the_incidents() -> None:
    assert len(SCENARIOS) >= 10
    for scenario in SCENARIOS.values():
        scenario.validate()
        assert scenario.expect, f"{scenario.name} expects nothing"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_expectations(name: str, groups: list[Group], runs: dict[str, ScenarioRun]
                               ) -> None:
    run = run_scenario(SCENARIOS[name], groups)
    runs[name] = run
    failed = [f"{v.what}: {v.detail}" for v in run.verdicts if not v.ok]
    assert not failed, "\n".join(failed)


def test_every_alert_is_fired_by_some_scenario(groups: list[Group],
                                               runs: dict[str, ScenarioRun]) -> None:
    missing_runs = [n for n in SCENARIOS if n not in runs]
    for name in missing_runs:  # when run alone (-k), replay what is missing
        runs[name] = run_scenario(SCENARIOS[name], groups)
    assert coverage(groups, list(runs.values())) == []
