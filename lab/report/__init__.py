"""The replay report: one self-contained HTML file per scenario replay.

    from lab.report import write_report
    run = run_scenario(library.get("cpu-spike"), Path("rulepacks"))
    write_report("cpu-spike.html", run, ["dashboards/node-use.json"])

It shows the scenario's timeline (faults, onset to recovery), every dashboard
panel plotted over the replay (the viewer's planning code, evaluated
in-process) and the alert timeline: pending and firing bands per alert, with
each expectation's window marked and misses highlighted. Images are PNGs made
with matplotlib (Agg, imported only when a report is written), embedded as
base64: the file opens anywhere, offline.
"""

from lab.report.model import (
    AlertInterval,
    ExpectedAlert,
    FaultWindow,
    ReplayResult,
    from_scenario_run,
)
from lab.report.render import render_report, write_report

__all__ = [
    "AlertInterval",
    "ExpectedAlert",
    "FaultWindow",
    "ReplayResult",
    "from_scenario_run",
    "render_report",
    "write_report",
]
