"""Evaluate rule packs over a replayed scenario: which alerts fire, when.

A stop-gap until ``lab.server.rules`` lands: each group's rules run in order
as *range queries* at the group's interval over the whole replay (so one
query per rule, not one per evaluation); recording rules are written back
into the storage so later rules can read them, and an alert's ``for`` is
applied to the result arrays here. Then this module shrinks to a call into
the rules engine.

    episodes = evaluate_packs(storage, load_rule_files(paths), start_ms, end_ms, 60_000)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lab.model.labels import Labels
from lab.scenarios.dataset import SeriesSink
from lab.scenarios.shapes import seconds
from lab.server.promql.engine import Engine, MatrixResult
from lab.server.storage.interface import Queryable


@dataclass(frozen=True, slots=True)
class Rule:
    expr: str
    record: str = ""
    alert: str = ""
    for_s: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    file: str
    interval_s: float | None
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Episode:
    """One alert instance from the moment it fired until it resolved."""

    alert: str
    labels: Labels  # including alertname and the rule's labels
    fired_ms: int
    resolved_ms: int | None  # None: still firing at the end of the replay
    active_ms: int  # when it became pending

    def matches(self, alert: str, labels: Mapping[str, str]) -> bool:
        wanted = dict(labels)
        return self.alert == alert and all(self.labels.get(k) == v for k, v in wanted.items())


def load_rule_files(paths: Sequence[Path]) -> list[Group]:
    groups: list[Group] = []
    for path in paths:
        doc: Any = yaml.safe_load(path.read_text())
        for g in doc.get("groups", []):
            rules = tuple(
                Rule(
                    expr=str(r["expr"]),
                    record=str(r.get("record", "")),
                    alert=str(r.get("alert", "")),
                    for_s=seconds(r["for"]) if r.get("for") else 0.0,
                    labels={k: str(v) for k, v in (r.get("labels") or {}).items()},
                    annotations={k: str(v) for k, v in (r.get("annotations") or {}).items()},
                )
                for r in g.get("rules", [])
            )
            interval = seconds(g["interval"]) if g.get("interval") else None
            groups.append(Group(str(g["name"]), str(path), interval, rules))
    return groups


def rule_files(root: Path) -> list[Path]:
    """Every ``<pack>/<pack>.rules.yml`` under a rule-pack directory."""
    return sorted(p for p in root.glob("*/*.rules.yml"))


def evaluate_packs(
    storage: Queryable,
    sink: SeriesSink,
    groups: Sequence[Group],
    start_ms: int,
    end_ms: int,
    default_interval_ms: int,
    engine: Engine | None = None,
) -> list[Episode]:
    engine = engine or Engine()
    episodes: list[Episode] = []
    for group in groups:
        step = round(group.interval_s * 1000) if group.interval_s else default_interval_ms
        times = np.arange(start_ms, end_ms + 1, step, dtype=np.int64)
        if times.size == 0:
            continue
        last = int(times[-1])
        for rule in group.rules:
            result = engine.range_query(storage, rule.expr, start_ms, last, step)
            if not isinstance(result.value, MatrixResult):
                continue
            if rule.record:
                for s in result.value.series:
                    labels = Labels.of({**s.labels.to_dict(), **rule.labels}, __name__=rule.record)
                    ts = np.asarray([t for t, _ in s.points], dtype=np.int64)
                    vs = np.asarray([v for _, v in s.points], dtype=np.float64)
                    sink.add_series(labels, ts, vs)
            else:
                episodes.extend(_alert_episodes(rule, result.value, times))
    return episodes


def _alert_episodes(rule: Rule, result: MatrixResult, times: np.ndarray) -> list[Episode]:
    out: list[Episode] = []
    step = int(times[1] - times[0]) if times.size > 1 else 1
    hold = int(np.ceil(rule.for_s * 1000 / step - 1e-9))
    for s in result.series:
        active = np.isin(times, np.asarray([t for t, _ in s.points], dtype=np.int64))
        base = {k: v for k, v in s.labels.to_dict().items() if k != "__name__"}
        labels = Labels.of({**base, **rule.labels}, alertname=rule.alert)
        # Runs of consecutive active evaluations: [a, b)
        edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if b - a <= hold:
                continue  # pending only, never fired
            resolved = int(times[b]) if b < times.size else None
            out.append(Episode(rule.alert, labels, int(times[a + hold]), resolved, int(times[a])))
    return out


def alert_rules(groups: Sequence[Group]) -> list[tuple[Group, Rule]]:
    return [(g, r) for g in groups for r in g.rules if r.alert]
