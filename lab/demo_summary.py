"""The text ``promlab demo`` prints about a replay: what broke and which
alerts fired when.

Times are given twice: relative to the replay's start (T0, as the scenario
declares its faults) and as the wall-clock time (UTC) the replay was shifted
to, which is what the lab UI's graphs show. Alert instances of one rule and
severity whose pending-to-resolved spans overlap are one line ("3 pods"), so
the summary reads as a timeline rather than a list of every pod.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lab.scenarios.evaluate import Episode
from lab.scenarios.validate import ScenarioRun

#: labels every line would repeat (shown on the alert's own row instead)
_NAMED = ("alertname", "severity")


@dataclass(frozen=True, slots=True)
class AlertSpan:
    """Overlapping episodes of one alert rule and severity."""

    alert: str
    severity: str
    labels: dict[str, str]  # shared by every instance, minus what every alert shares
    instances: int
    varying: tuple[str, ...]  # label names whose values differ between instances
    pending_ms: int
    firing_ms: int
    resolved_ms: int | None  # None: still firing when the replay ends

    def title(self) -> str:
        inner = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        name = f"{self.alert}{{{inner}}}" if inner else self.alert
        if self.instances > 1:
            # pod-level alerts also differ in uid, container id ...: name the pods
            one = "pod" if "pod" in self.varying else (
                self.varying[0] if len(self.varying) == 1 else "instance")
            what = f"{one}s"
            name += f" ({self.instances} {what})"
        return name


def alert_spans(episodes: Sequence[Episode]) -> list[AlertSpan]:
    """Episodes merged per (alert, severity) where their spans overlap, by pending time."""
    constant = _constant_labels(episodes)
    by_rule: dict[tuple[str, str], list[Episode]] = {}
    for ep in episodes:
        by_rule.setdefault((ep.alert, ep.labels.get("severity") or ""), []).append(ep)
    spans: list[AlertSpan] = []
    for (alert, severity), eps in by_rule.items():
        for cluster in _overlapping(eps):
            sets = [dict(ep.labels) for ep in cluster]
            shared = {k: v for k, v in sets[0].items()
                      if all(s.get(k) == v for s in sets) and k not in _NAMED
                      and constant.get(k) != v}  # fmt: skip
            varying = sorted(k for k in {k for s in sets for k in s} - set(_NAMED)
                             if any(s.get(k) != sets[0].get(k) for s in sets))
            resolved = [ep.resolved_ms for ep in cluster]
            spans.append(AlertSpan(
                alert, severity, shared, len({ep.labels for ep in cluster}), tuple(varying),
                min(ep.active_ms for ep in cluster), min(ep.fired_ms for ep in cluster),
                None if None in resolved else max(r for r in resolved if r is not None),
            ))  # fmt: skip
    return sorted(spans, key=lambda s: (s.pending_ms, s.firing_ms, s.alert, s.severity))


def _overlapping(eps: list[Episode]) -> Iterable[list[Episode]]:
    eps = sorted(eps, key=lambda e: e.active_ms)
    cluster: list[Episode] = []
    end = float("-inf")
    for ep in eps:
        if cluster and ep.active_ms > end:
            yield cluster
            cluster, end = [], float("-inf")
        cluster.append(ep)
        end = max(end, float("inf") if ep.resolved_ms is None else ep.resolved_ms)
    if cluster:
        yield cluster


def _constant_labels(episodes: Sequence[Episode]) -> dict[str, str]:
    """Labels with one value across every alert that has them (namespace=shop):
    context, not news, on each line."""
    values: dict[str, set[str]] = {}
    for ep in episodes:
        for k, v in ep.labels:
            values.setdefault(k, set()).add(v)
    return {k: next(iter(vs)) for k, vs in values.items() if len(vs) == 1}


def rel(ms: int, start_ms: int) -> str:
    """``+1h05m`` from T0."""
    minutes = (ms - start_ms) // 60_000
    return f"+{minutes // 60}h{minutes % 60:02d}m"


def wall(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M")


def when(ms: int | None, start_ms: int) -> str:
    return "still firing" if ms is None else f"{rel(ms, start_ms)} {wall(ms)}"


def summary_lines(run: ScenarioRun, *, seconds: float, rule_count: int,
                  story_start_ms: int | None = None) -> list[str]:
    """``story_start_ms``: where the scenario starts before it was shifted, so
    the description's times ("14:00 traffic rises") can be placed."""
    sc = run.scenario
    start, end = run.replay.grid.start_ms, run.replay.end_ms
    day = datetime.fromtimestamp(start / 1000, UTC).strftime("%Y-%m-%d")
    story = "" if story_start_ms is None else f" ({wall(story_start_ms)} in the story above)"
    lines = [f"promlab demo: the canonical incident, {sc.name!r}, replayed into an in-memory lab"]
    lines += textwrap.wrap(sc.description, 78, initial_indent="  ", subsequent_indent="  ")
    lines += [
        f"  {sc.duration} of simulated time in {seconds:.1f}s: {len(run.replay.series)} series, "
        f"{run.replay.samples:,} samples, {rule_count} alert rules evaluated",
        f"  T0 = {day} {wall(start)} UTC{story}; the replay ends at {wall(end)} UTC, now",
        "",
        "Faults (from T0, UTC):",
    ]
    faults: dict[tuple[str, float], float | None] = {}
    for f in sorted(sc.faults, key=lambda f: f.onset_s):
        # "nodes busier (node-1)", "(node-2)" ...: one fault on several targets, said once
        faults.setdefault((f.name.split(" (")[0], f.onset_s), f.end_s)
    width = max((len(name) for name, _ in faults), default=0)
    for (name, onset_s), end_s in faults.items():
        onset = start + round(onset_s * 1000)
        until = "" if end_s is None else f"  until {when(start + round(end_s * 1000), start)}"
        lines.append(f"  {when(onset, start)}  {name:<{width}}{until}")
    spans = alert_spans(run.episodes)
    lines += ["", "Alerts that fired (pending -> firing -> resolved; from T0, UTC):"]
    width = max((len(s.title()) for s in spans), default=0)
    for s in spans:
        lines.append(
            f"  {s.title():<{width}}  {s.severity:<8}  {when(s.pending_ms, start):>12} -> "
            f"{when(s.firing_ms, start):>12} -> {when(s.resolved_ms, start)}"
        )
    if not spans:
        lines.append("  (none)")
    ok = sum(v.ok for v in run.verdicts)
    lines += ["", f"Expectations: {ok}/{len(run.verdicts)} met"
              + ("" if run.ok else " (see the report for the misses)")]
    lines += [f"  MISSED {v.what}: {v.detail}" for v in run.verdicts if not v.ok]
    active = [s for s in spans if s.resolved_ms is None]
    if active:
        lines.append("Still firing at the end of the replay: "
                     + ", ".join(s.title() for s in active))
    return lines
