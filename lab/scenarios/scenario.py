"""Scenarios: an incident written as a declarative class, like a locust User.

    class CpuSpike(Scenario):
        name = "cpu-spike"
        description = "A runaway process pins every core of node-2 for 40 minutes."
        duration = "3h"
        baseline = "1h"            # quiet: nothing may fire before the first fault
        targets = (Node("node-1"), Node("node-2"))
        faults = (
            Fault("runaway process", at="1h", target="node-2", knob="cpu",
                  shape=plateau(0.75, hold="40m", rise="3m", fall="2m")),
        )
        expect = (
            fires("NodeCPUHighUsage", after="runaway process", within="25m",
                  resolves_within="15m", instance="node-2:9100"),
        )

*What breaks* is a ``Fault``: a shape (``shapes.py``) added to one knob of one
target (optionally to some of its pods) from ``at`` on. *What must happen* is
an ``Expect``: an alert (name + a subset of its labels) fires within
``within`` of the fault's onset and, if ``resolves_within`` is given, stops
firing within that long after the fault ends. Scenario classes do nothing
when imported; the library is discovered by listing its modules
(``lab.scenarios.library.discover``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from lab.scenarios.shapes import Duration, Shape, seconds
from lab.scenarios.targets.base import Target


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    at: Duration
    target: str
    knob: str
    shape: Shape
    #: rows (pods/instances) the fault applies to; all when None
    members: tuple[int, ...] | None = None
    #: when the fault is over, after onset; defaults to the shape's end
    recovers_after: Duration | None = None

    @property
    def onset_s(self) -> float:
        return seconds(self.at)

    @property
    def end_s(self) -> float | None:
        if self.recovers_after is not None:
            return self.onset_s + seconds(self.recovers_after)
        return None if self.shape.end is None else self.onset_s + self.shape.end


@dataclass(frozen=True, slots=True)
class Expect:
    alert: str
    after: str  # the fault whose onset starts the clock
    within: Duration
    resolves_within: Duration | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    #: the fault whose end is the recovery (default: ``after``)
    recovery: str | None = None


def fires(alert: str, *, after: str, within: Duration, resolves_within: Duration | None = None,
          recovery: str | None = None, **labels: str) -> Expect:
    """``alert`` (with at least ``labels``) fires within ``within`` of the onset
    of fault ``after``, and stops within ``resolves_within`` of the end of fault
    ``recovery`` (default: the same fault)."""
    return Expect(alert, after, within, resolves_within, labels, recovery)


class ScenarioError(ValueError):
    """A scenario class is inconsistent (unknown target, knob or fault ...)."""


class Scenario:
    """Base class; subclasses set the class attributes below."""

    #: base classes that are not incidents themselves
    abstract: ClassVar[bool] = True
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: when the replay starts (wall-clock time of the first scrape)
    start: ClassVar[str] = "2026-03-02T13:00:00Z"
    duration: ClassVar[Duration] = "3h"
    #: the quiet window at the start: no alert may fire in it
    baseline: ClassVar[Duration] = "1h"
    seed: ClassVar[int] = 1
    scrape_interval: ClassVar[Duration] = "30s"
    targets: ClassVar[tuple[Target, ...]] = ()
    faults: ClassVar[tuple[Fault, ...]] = ()
    expect: ClassVar[tuple[Expect, ...]] = ()

    @classmethod
    def start_ms(cls) -> int:
        when = datetime.fromisoformat(cls.start.replace("Z", "+00:00"))
        return int(when.astimezone(UTC).timestamp() * 1000)

    @classmethod
    def duration_s(cls) -> float:
        return seconds(cls.duration)

    @classmethod
    def baseline_s(cls) -> float:
        return seconds(cls.baseline)

    @classmethod
    def target(cls, name: str) -> Target:
        for t in cls.targets:
            if t.name == name:
                return t
        raise ScenarioError(f"{cls.name}: no target named {name!r}")

    @classmethod
    def fault(cls, name: str) -> Fault:
        for f in cls.faults:
            if f.name == name:
                return f
        raise ScenarioError(f"{cls.name}: no fault named {name!r}")

    @classmethod
    def validate(cls) -> None:
        """Raise ``ScenarioError`` if the declaration does not hang together."""
        if not cls.name or not cls.description:
            raise ScenarioError(f"{cls.__name__}: name and description are required")
        names = [t.name for t in cls.targets]
        if len(set(names)) != len(names):
            raise ScenarioError(f"{cls.name}: target names must be unique: {names}")
        for f in cls.faults:
            t = cls.target(f.target)
            if f.knob not in t.baseline():
                raise ScenarioError(
                    f"{cls.name}: fault {f.name!r}: {f.target} has no knob {f.knob!r} "
                    f"(knobs: {', '.join(sorted(t.baseline()))})"
                )
            if f.members and max(f.members) >= t.members:
                raise ScenarioError(f"{cls.name}: fault {f.name!r}: member out of range")
            if f.onset_s < cls.baseline_s():
                raise ScenarioError(f"{cls.name}: fault {f.name!r} starts inside the baseline")
        for e in cls.expect:
            cls.fault(e.after)
            if e.resolves_within is not None and cls.fault(e.recovery or e.after).end_s is None:
                raise ScenarioError(f"{cls.name}: {e.alert} must resolve, but its fault never ends")
