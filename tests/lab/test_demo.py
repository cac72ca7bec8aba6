"""`promlab demo` shows the incident: conditions hold during it and not before or after."""

from __future__ import annotations

import re

from click.testing import CliRunner

from lab.cli import main


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _minutes(clock: str) -> int:
    hours, minutes = re.fullmatch(r"\+(\d+)h(\d\d)m", clock).groups()  # type: ignore[union-attr]
    return int(hours) * 60 + int(minutes)


def test_demo_conditions_hold_only_during_the_incident() -> None:
    output = _run("--instances", "2", "--no-conformance")
    for title in ("Requests/s by job", "5xx error ratio", "p90 latency by handler"):
        assert title in output
    runs = re.findall(r"^  (High\w+|Slow\w+) .*: (.*)$", output, flags=re.MULTILINE)
    assert {name for name, _ in runs} == {"HighCPU", "HighErrorRate", "SlowRequests"}
    for _, intervals in runs:
        for start, end in re.findall(r"(\+\S+)\.\.(\+[^,\s]+)", intervals):
            # The incident ramps up from 2h24m and is over at 4h30m.
            assert 144 <= _minutes(start) <= _minutes(end) <= 270, intervals


def test_demo_reports_conformance_counts() -> None:
    output = _run("--instances", "1")
    match = re.search(r"(\d+) evals passed, (\d+) failed, (\d+) unsupported", output)
    assert match is not None, output
    assert int(match.group(1)) >= 944
