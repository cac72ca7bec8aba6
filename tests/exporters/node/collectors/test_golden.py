"""Each collector on the fixture tree renders exactly what the real
node_exporter 1.5.0 rendered on the same tree (``fixtures/expected/<name>.prom``,
captured with ``--path.procfs/--path.sysfs/--path.rootfs`` pointing at the
fixtures). Host-dependent collectors (filesystem, time, timex, uname) have
their own tests with a fake source."""

from __future__ import annotations

import os

import pytest

from exporters.common.exposition import render
from exporters.node import collectors
from exporters.node.exporter import family_name
from tests.exporters.node.helpers import EXPECTED, FIXTURES, fixture_options, fixture_source

GOLDEN = sorted(p.stem for p in EXPECTED.glob("*.prom"))


def test_every_file_based_collector_has_a_golden_file() -> None:
    host_dependent = {"filesystem", "time", "timex", "uname"}
    assert set(GOLDEN) == set(collectors.DEFAULTS) - host_dependent


@pytest.mark.parametrize("name", GOLDEN)
def test_collector_matches_upstream_output(name: str) -> None:
    collector = collectors.build(name, fixture_source(), fixture_options())
    got = render(sorted(collector.collect(), key=family_name)).decode()
    expected = (EXPECTED / f"{name}.prom").read_text().replace("{fixtures}", str(FIXTURES))
    if name == "textfile":
        # mtimes depend on the checkout; compare them against the files instead
        got_lines, expected_lines = got.splitlines(), expected.splitlines()
        mtime = "node_textfile_mtime_seconds{"
        assert [x for x in got_lines if not x.startswith(mtime)] == [
            x for x in expected_lines if not x.startswith(mtime)
        ]
        for line in (x for x in got_lines if x.startswith(mtime)):
            path = line.split('"')[1]
            assert float(line.rsplit(" ", 1)[1]) == float(int(os.stat(path).st_mtime))
        assert sum(x.startswith(mtime) for x in got_lines) == sum(
            x.startswith(mtime) for x in expected_lines
        )
        return
    assert got == expected
