"""Load over time, as data: how many users run at each moment of a load test.

Kept apart from what the users do (``load.DemoUser``) and from locust (this
module never imports it), so shapes are plain values that tests can check.

A stages file (``--shape stages.yml``) lists consecutive stages, each with its
own duration (Go-style ``30s``/``2m`` or a number of seconds)::

    stages:
      - {duration: 30s, users: 5, spawn_rate: 1}
      - {duration: 1m, users: 20, spawn_rate: 5}
      - {duration: 30s, users: 5, spawn_rate: 5}

``ramp(users, spawn_rate, duration)`` climbs linearly to ``users``;
``spike(...)`` holds a quarter of ``users``, jumps to all of them for the
middle fifth, then falls back. A plan is cut at ``--duration`` either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from exporters.common.web import parse_duration

from .errors import ShapeError

#: Shapes that need no file: ``--shape ramp`` etc.
BUILTIN: Final = ("constant", "ramp", "spike")
#: A trainer's lab, not a load-testing farm: more users than this is a typo.
MAX_USERS: Final = 10_000


@dataclass(frozen=True)
class Stage:
    duration_s: float
    users: int
    spawn_rate: float


@dataclass(frozen=True)
class LoadPlan:
    """Consecutive stages; ``tick(t)`` is what locust's ``LoadTestShape`` asks."""

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ShapeError("a load shape needs at least one stage")
        for i, s in enumerate(self.stages, 1):
            if not (s.duration_s > 0 and math.isfinite(s.duration_s)):
                raise ShapeError(f"stage {i}: duration must be > 0, got {s.duration_s}")
            if not 0 <= s.users <= MAX_USERS:
                raise ShapeError(f"stage {i}: users must be in [0, {MAX_USERS}], got {s.users}")
            if not (s.spawn_rate > 0 and math.isfinite(s.spawn_rate)):
                raise ShapeError(f"stage {i}: spawn_rate must be > 0, got {s.spawn_rate}")

    @property
    def total_s(self) -> float:
        return sum(s.duration_s for s in self.stages)

    @property
    def peak_users(self) -> int:
        return max(s.users for s in self.stages)

    def tick(self, run_time_s: float) -> tuple[int, float] | None:
        """``(users, spawn_rate)`` at ``run_time_s``; ``None`` once the plan is over."""
        end = 0.0
        for stage in self.stages:
            end += stage.duration_s
            if run_time_s < end:
                return stage.users, stage.spawn_rate
        return None

    def cut(self, duration_s: float) -> LoadPlan:
        """The plan truncated to ``duration_s`` (``--duration`` always bounds a run)."""
        if duration_s <= 0:
            raise ShapeError(f"duration must be > 0, got {duration_s}")
        kept: list[Stage] = []
        left = duration_s
        for stage in self.stages:
            if left <= 0:
                break
            kept.append(Stage(min(stage.duration_s, left), stage.users, stage.spawn_rate))
            left -= stage.duration_s
        return LoadPlan(tuple(kept))


def constant(users: int, spawn_rate: float, duration_s: float) -> LoadPlan:
    return LoadPlan((Stage(duration_s, users, spawn_rate),))


def ramp(users: int, spawn_rate: float, duration_s: float, *, steps: int = 10) -> LoadPlan:
    """From ``users/steps`` up to ``users`` in equal steps over ``duration_s``."""
    steps = max(1, min(steps, users))
    return LoadPlan(
        tuple(
            Stage(duration_s / steps, max(1, round(users * (i + 1) / steps)), spawn_rate)
            for i in range(steps)
        )
    )


def spike(users: int, spawn_rate: float, duration_s: float) -> LoadPlan:
    """Baseline (a quarter of ``users``) 40 %, all ``users`` 20 %, baseline 40 %."""
    base = max(1, users // 4)
    return LoadPlan(
        (
            Stage(duration_s * 0.4, base, spawn_rate),
            Stage(duration_s * 0.2, users, spawn_rate),
            Stage(duration_s * 0.4, base, spawn_rate),
        )
    )


def builtin(name: str, users: int, spawn_rate: float, duration_s: float) -> LoadPlan:
    makers = {"constant": constant, "ramp": ramp, "spike": spike}
    if name not in makers:
        raise ShapeError(f"unknown shape {name!r}; expected a stages file or {', '.join(BUILTIN)}")
    return makers[name](users, spawn_rate, duration_s)


def parse_stages(document: object, *, source: str = "<stages>") -> LoadPlan:
    """A plan from a parsed stages document (a mapping with ``stages`` or a list)."""
    items = document.get("stages") if isinstance(document, dict) else document
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        raise ShapeError(f"{source}: expected a list of stages (or a mapping with 'stages')")
    stages = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ShapeError(f"{source}: stage {i} must be a mapping")
        unknown = sorted(set(item) - {"duration", "users", "spawn_rate"})
        if unknown:
            raise ShapeError(f"{source}: stage {i}: unknown field(s) {', '.join(unknown)}")
        try:
            duration = item["duration"]
            seconds = parse_duration(duration) if isinstance(duration, str) else float(duration)
            users = item["users"]
            if isinstance(users, bool) or not isinstance(users, int):
                raise ShapeError(f"{source}: stage {i}: users must be an integer")
            stages.append(Stage(seconds, users, float(item.get("spawn_rate", max(1, users)))))
        except KeyError as exc:
            raise ShapeError(f"{source}: stage {i}: missing {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ShapeError):
                raise
            raise ShapeError(f"{source}: stage {i}: {exc}") from None
    try:
        return LoadPlan(tuple(stages))
    except ShapeError as exc:
        raise ShapeError(f"{source}: {exc}") from None


def load_stages(path: str | Path) -> LoadPlan:
    """A plan from a stages YAML file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ShapeError(f"cannot read {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ShapeError(f"{path}: not valid YAML: {exc}") from None
    return parse_stages(document, source=str(path))
