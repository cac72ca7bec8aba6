"""Run scenarios against the rule packs one after another, with a progress bar.

Each scenario is replayed into its own in-memory store in simulated time
(its whole duration rendered as numpy columns at once), the packs are
evaluated over it and its expectations judged: the steps of
``lab.scenarios.validate.run_scenario``, taken one by one here so that the
bar can say which one is running. The bar counts *simulated* hours, so its
rate reads as "hours of incident per second". It goes to stderr and only
when stderr is a terminal (tqdm's own test), so logs and tests stay clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lab.scenarios.evaluate import evaluate_packs
from lab.scenarios.expectations import check_scenario
from lab.scenarios.scenario import Scenario
from lab.scenarios.validate import ScenarioRun, replay_into_memory
from lab.server.rules.group import Group


@dataclass(frozen=True, slots=True)
class TimedRun:
    run: ScenarioRun
    #: wall seconds the replay, the rule evaluation and the judging took
    seconds: float


def run_suite(
    scenarios: Sequence[type[Scenario]],
    groups: Sequence[Group],
    *,
    on_run: Callable[[TimedRun, Callable[[str], None]], None] | None = None,
    progress: bool | None = None,
) -> list[TimedRun]:
    """Replay and judge every scenario in order. ``on_run`` gets each result
    as it is ready, with a ``write`` that prints above the bar; ``progress``:
    True/False forces the bar on/off, None shows it on a terminal only."""
    from tqdm import tqdm

    total_h = sum(s.duration_s() for s in scenarios) / 3600
    out: list[TimedRun] = []
    with tqdm(
        total=round(total_h, 3),
        unit="h",
        desc="replaying",
        file=sys.stderr,
        disable=None if progress is None else not progress,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} simulated h "
        "[{elapsed}, {rate_fmt}]",
        leave=False,
    ) as bar:

        def write(line: str) -> None:
            bar.write(line, file=sys.stdout)

        for scenario in scenarios:
            t0 = time.perf_counter()
            bar.set_description_str(f"{scenario.name}: replay")
            replay, storage = replay_into_memory(scenario)
            bar.set_description_str(f"{scenario.name}: rules")
            episodes = evaluate_packs(storage, groups, replay.grid.start_ms, replay.end_ms)
            verdicts = check_scenario(scenario, episodes)
            timed = TimedRun(
                ScenarioRun(scenario, replay, storage, episodes, verdicts),
                time.perf_counter() - t0,
            )
            out.append(timed)
            bar.update(round(scenario.duration_s() / 3600, 3))
            if on_run is not None:
                on_run(timed, write)
    return out
