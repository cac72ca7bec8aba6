"""Evaluate rule packs over a replayed scenario: which alerts fire, when.

The packs are loaded and run by the rules engine (``lab.server.rules``):
each group's rules are evaluated in order over the whole replay by its
vectorised runner (one range query per rule at the group's interval, the
alert state machine applied to the result arrays, recording results and
``ALERTS`` written back into the storage), the same path ``promlab rules
test`` takes. Firing periods become ``Episode``s for the expectations.

    groups = load_groups(rule_files(Path("rulepacks")))
    episodes = evaluate_packs(storage, groups, start_ms, end_ms)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.model.labels import Labels
from lab.server.rules.alerting import AlertingRule
from lab.server.rules.group import Group
from lab.server.rules.recording import RecordingRule
from lab.server.rules.rulefile import load_rule_file
from lab.server.rules.unittest_vector import VectorRunner, plan
from lab.server.storage.memory import MemoryStorage

#: the interval of groups that do not set one (Prometheus' global default is 1m)
DEFAULT_INTERVAL_MS = 60_000


class PackEvaluationError(RuntimeError):
    """The packs cannot be evaluated over a whole replay at once."""


@dataclass(frozen=True, slots=True)
class Episode:
    """One alert instance from the moment it fired until it resolved."""

    alert: str
    labels: Labels  # including alertname and the rule's labels
    fired_ms: int
    resolved_ms: int | None  # None: still firing at the end of the replay
    active_ms: int  # when it became pending

    def matches(self, alert: str, labels: Mapping[str, str]) -> bool:
        return self.alert == alert and all(self.labels.get(k) == v for k, v in labels.items())


def rule_files(root: Path) -> list[Path]:
    """Every ``<pack>/<pack>.rules.yml`` under a rule-pack directory."""
    return sorted(root.glob("*/*.rules.yml"))


def load_groups(paths: Sequence[Path], default_interval_ms: int = DEFAULT_INTERVAL_MS
                ) -> list[Group]:
    """Rule groups of the files (``RuleFileError`` with promtool's texts if bad)."""
    groups: list[Group] = []
    for path in paths:
        for spec in load_rule_file(path).groups:
            groups.append(Group.from_spec(spec, default_interval_ms=default_interval_ms))
    return groups


def recording_groups(groups: Sequence[Group]) -> list[Group]:
    return [g for g in groups if any(isinstance(r, RecordingRule) for r in g.rules)]


def alert_rules(groups: Sequence[Group]) -> list[AlertingRule]:
    return [r for g in groups for r in g.rules if isinstance(r, AlertingRule)]


def evaluate_packs(storage: MemoryStorage, groups: Sequence[Group], start_ms: int, end_ms: int
                   ) -> list[Episode]:
    """Run every group over ``[start_ms, end_ms]``; recording rules and
    ``ALERTS`` land in ``storage``. Returns the alerts' firing episodes."""
    why = plan(groups)
    if why is not None:
        raise PackEvaluationError(f"cannot evaluate the packs over a replay: {why}")
    episodes: list[Episode] = []
    for group in groups:
        times = np.arange(start_ms, end_ms + 1, group.interval_ms, dtype=np.int64)
        if times.size == 0:
            continue
        runner = VectorRunner(storage, times)
        runner.run([group])
        for alerts in runner.alerts.values():
            for a, labels in enumerate(alerts.labels):
                episodes.extend(_episodes(alerts.rule.name, labels, alerts.state[a], times))
    return episodes


def _episodes(alert: str, labels: Labels, state: np.ndarray, times: np.ndarray) -> list[Episode]:
    """Firing runs (state 2) of one alert identity; ``active`` is where the
    pending period that led to it began."""
    out: list[Episode] = []
    firing = np.diff(np.concatenate([[0], (state == 2).astype(np.int8), [0]]))
    active = state > 0
    for s, e in zip(np.flatnonzero(firing == 1), np.flatnonzero(firing == -1), strict=True):
        begin = int(s)
        while begin > 0 and active[begin - 1]:
            begin -= 1
        resolved = int(times[e]) if e < times.size else None
        out.append(Episode(alert, labels, int(times[s]), resolved, int(times[begin])))
    return out
