"""Console output, JUnit XML and exit code of ``promlab rules test``.

Per file, as promtool 3.x: ``  SUCCESS`` (stdout) or ``  FAILED:`` and each
failure followed by a blank line (stderr). Each failure also names its
location (``  at tests.yml:23``), and uncovered rules are listed after the
verdict when coverage is on.
"""

from __future__ import annotations

import datetime as dt
import sys
import xml.etree.ElementTree as ET

from lab.server.rules.unittest_run import FileResult, Options, run_test_file


def run_files(files: list[str], opts: Options, *, junit: str | None, coverage: bool) -> int:
    results: list[FileResult] = []
    for f in files:
        print(f"Unit Testing:  {f}")
        res = run_test_file(f, opts)
        results.append(res)
        if res.ok:
            print("  SUCCESS")
        else:
            print("  FAILED:", file=sys.stderr)
            if res.abort is not None:
                print(res.abort, file=sys.stderr)
                print()
            for g in res.groups:
                for fail in g.failures:
                    print(fail.text, file=sys.stderr)
                    if fail.line:
                        print(f"        at {f}:{fail.line}", file=sys.stderr)
                    print()
        if coverage and res.untested:
            print(f"  Coverage: {len(res.untested)} rule(s) not exercised by any test:")
            for u in res.untested:
                print(f"    {u}")
        print()
    if junit:
        write_junit(junit, results)
    return 0 if all(r.ok for r in results) else 1


def write_junit(path: str, results: list[FileResult]) -> None:
    suites = ET.Element("testsuites")
    now = dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    for r in results:
        failures = sum(1 for g in r.groups if g.failures)
        suite = ET.SubElement(suites, "testsuite", name=r.path, tests=str(len(r.groups)),
                              failures=str(failures), errors="1" if r.abort else "0",
                              skipped="0", timestamp=now)  # fmt: skip
        for g in r.groups:
            case = ET.SubElement(suite, "testcase", name=g.name, time=f"{g.seconds:.3f}")
            for fail in g.failures:
                ET.SubElement(case, "failure").text = fail.text
        if r.abort is not None:
            case = ET.SubElement(suite, "testcase", name="unknown")
            ET.SubElement(case, "error").text = r.abort
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
