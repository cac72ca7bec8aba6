"""Check a scenario's expectations against the alerts a replay produced.

Three kinds of verdict:

* each ``Expect``: the alert (name + label subset) fires within ``within``
  of its fault's onset and, when asked, resolves within ``resolves_within``
  of the recovery (the fault's end);
* the baseline: no alert at all fires before ``Scenario.baseline`` is over;
* coverage (across scenarios): which alert rules no scenario made fire.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lab.scenarios.evaluate import Episode
from lab.scenarios.scenario import Expect, Scenario
from lab.scenarios.shapes import seconds


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    what: str
    detail: str


def _fmt(ms: float) -> str:
    s = round(abs(ms) / 1000)
    sign = "-" if ms < 0 else ""
    return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def check_expectation(scenario: type[Scenario], e: Expect, episodes: Sequence[Episode]) -> Verdict:
    start = scenario.start_ms()
    fault = scenario.fault(e.after)
    onset = start + fault.onset_s * 1000
    deadline = onset + seconds(e.within) * 1000
    labels = ",".join(f"{k}={v}" for k, v in sorted(e.labels.items()))
    what = f"{e.alert}{{{labels}}} after {e.after!r}"
    matching = [ep for ep in episodes if ep.matches(e.alert, e.labels)]
    hits = [ep for ep in matching if onset <= ep.fired_ms <= deadline]
    if not hits:
        seen = ", ".join(_fmt(ep.fired_ms - start) for ep in matching) or "never"
        return Verdict(False, what, f"did not fire within {e.within} of onset "
                       f"{_fmt(onset - start)} (fired at: {seen})")
    first = min(h.fired_ms for h in hits)
    detail = f"fired at +{_fmt(first - onset)} after onset"
    if e.resolves_within is None:
        return Verdict(True, what, detail)
    recovery_fault = scenario.fault(e.recovery or e.after)
    end_s = recovery_fault.end_s
    assert end_s is not None  # validate() refuses a resolving expectation without one
    recovered = start + end_s * 1000
    limit = recovered + seconds(e.resolves_within) * 1000
    late = [ep for ep in matching if ep.fired_ms >= onset
            and (ep.resolved_ms is None or ep.resolved_ms > limit)]
    if late:
        ends = ", ".join("still firing" if ep.resolved_ms is None else
                         f"{_fmt(ep.resolved_ms - start)}" for ep in late)
        return Verdict(False, what, f"{detail}; did not resolve within {e.resolves_within} of "
                       f"recovery at {_fmt(recovered - start)} (resolved: {ends})")
    last = max(ep.resolved_ms or 0 for ep in matching if ep.fired_ms >= onset)
    return Verdict(True, what, f"{detail}; resolved {_fmt(last - recovered)} after recovery")


def check_baseline(scenario: type[Scenario], episodes: Iterable[Episode]) -> Verdict:
    start = scenario.start_ms()
    end = start + scenario.baseline_s() * 1000
    noisy = [ep for ep in episodes if ep.fired_ms < end]
    if noisy:
        names = ", ".join(f"{ep.alert}{dict(ep.labels)} at {_fmt(ep.fired_ms - start)}"
                          for ep in noisy[:5])
        return Verdict(False, "quiet baseline", f"fired during the baseline: {names}")
    return Verdict(True, "quiet baseline", f"nothing fired in the first {scenario.baseline}")


def check_scenario(scenario: type[Scenario], episodes: Sequence[Episode]) -> list[Verdict]:
    return [check_baseline(scenario, episodes)] + [
        check_expectation(scenario, e, episodes) for e in scenario.expect
    ]


def uncovered(alert_names: Iterable[tuple[str, str]], fired: Iterable[Episode]) -> list[str]:
    """Alert rules (name, severity) that no episode matched."""
    seen = {(ep.alert, ep.labels.get("severity")) for ep in fired}
    return sorted(f"{name}{{severity={sev}}}" for name, sev in set(alert_names) - seen)
