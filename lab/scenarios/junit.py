"""JUnit XML for scenario runs, so CI systems show each expectation as a test.

One ``<testsuite>`` per scenario, one ``<testcase>`` per verdict (the quiet
baseline and every expected alert); a missed expectation is a ``<failure>``
whose message is the verdict's reason. When coverage was judged (``scenario
run all``), a ``coverage`` suite has one testcase per alert rule of the packs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from lab.scenarios.suite import TimedRun


def junit_tree(
    runs: Sequence[TimedRun],
    *,
    alert_rules: Sequence[str] = (),
    never_fired: Sequence[str] = (),
) -> ET.ElementTree[ET.Element]:
    """``alert_rules``/``never_fired``: ``name{severity=...}`` strings; the
    coverage suite is written only when ``alert_rules`` is given."""
    root = ET.Element("testsuites", name="promlab scenarios")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    tests = failures = 0
    for timed in runs:
        run = timed.run
        name = run.scenario.name
        bad = sum(not v.ok for v in run.verdicts)
        suite = ET.SubElement(
            root, "testsuite", name=name, tests=str(len(run.verdicts)), failures=str(bad),
            errors="0", skipped="0", time=f"{timed.seconds:.3f}", timestamp=stamp,
        )  # fmt: skip
        for v in run.verdicts:
            case = ET.SubElement(suite, "testcase", classname=f"scenario.{name}", name=v.what,
                                 time="0")
            if v.ok:
                ET.SubElement(case, "system-out").text = v.detail
            else:
                failure = ET.SubElement(case, "failure", message=v.detail, type="ExpectationFailed")
                failure.text = f"{name}: {v.what}: {v.detail}"
        tests += len(run.verdicts)
        failures += bad
    if alert_rules:
        missing = set(never_fired)
        suite = ET.SubElement(
            root, "testsuite", name="coverage", tests=str(len(alert_rules)),
            failures=str(len(missing)), errors="0", skipped="0", time="0", timestamp=stamp,
        )  # fmt: skip
        for rule in alert_rules:
            case = ET.SubElement(suite, "testcase", classname="scenario.coverage",
                                 name=f"{rule} fired by some scenario", time="0")
            if rule in missing:
                ET.SubElement(case, "failure", message=f"no scenario made {rule} fire",
                              type="CoverageFailed")
        tests += len(alert_rules)
        failures += len(missing)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("time", f"{sum(t.seconds for t in runs):.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: str | Path, runs: Sequence[TimedRun], *, alert_rules: Sequence[str] = (),
                never_fired: Sequence[str] = ()) -> None:
    junit_tree(runs, alert_rules=alert_rules, never_fired=never_fired).write(
        path, encoding="utf-8", xml_declaration=True
    )
