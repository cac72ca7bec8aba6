"""``promlab tsdb import openmetrics`` and ``stats``: against the dataset, against
the real promtool (differential), and on bad input."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lab.cli_tsdb import tsdb
from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.scenarios.dataset import DatasetSpec, DemoDataset
from lab.server.tsdb import DB, ImportInputError
from lab.server.tsdb.importer import import_openmetrics
from tests.lab.server.tsdb.tsdb_helpers import openmetrics_text

H = 3_600_000
START = 1_700_000_000_000
ALL = [Matcher(MatchType.REGEX, "__name__", ".+")]
Dump = dict[Labels, tuple[list[int], list[int]]]


@pytest.fixture(scope="module")
def dataset_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Dump]:
    spec = DatasetSpec(instances=1, start_ms=START, duration_ms=5 * H, jitter_ms=400)
    series = [
        (s.labels, s.timestamps.tolist(), s.values.tolist()) for s in DemoDataset(spec).series()
    ]
    path = tmp_path_factory.mktemp("om") / "demo.om"
    path.write_text(openmetrics_text(series))  # type: ignore[arg-type]
    expected = {labels: (ts, np.array(vs).view(np.uint64).tolist()) for labels, ts, vs in series}
    return path, expected


def read_ours(directory: Path) -> Dump:
    with DB.open(directory, read_only=True) as db, db.querier(-(2**62), 2**62) as q:
        return {
            s.labels: (s.timestamps.tolist(), s.values.view(np.uint64).tolist())
            for s in q.select(ALL)
        }


def test_import_then_query(tmp_path: Path, dataset_file: tuple[Path, Dump]) -> None:
    path, expected = dataset_file
    metas = import_openmetrics(path.read_bytes(), tmp_path / "out")
    assert len(metas) == 3  # 5h from an unaligned start: three 2h-aligned blocks
    for m in metas:
        assert m.min_time // (2 * H) == (m.max_time - 1) // (2 * H)
    assert read_ours(tmp_path / "out") == expected


_DUMP_LINE = re.compile(r"^\{(.*)\} (\S+) (-?\d+)$")
_LABEL = re.compile(r'([^=, ]+)="((?:[^"\\]|\\.)*)"')


def read_promtool(promtool: str, directory: Path) -> Dump:
    (directory / "wal").mkdir(exist_ok=True)  # `tsdb dump` insists on one
    out = subprocess.run(
        [promtool, "tsdb", "dump", str(directory)], capture_output=True, check=True, timeout=120
    ).stdout.decode()
    got: dict[Labels, tuple[list[int], list[float]]] = {}
    for line in out.splitlines():
        m = _DUMP_LINE.match(line)
        assert m, line
        labels = Labels.from_pairs(_LABEL.findall(m.group(1)))
        ts, vs = got.setdefault(labels, ([], []))
        ts.append(int(m.group(3)))
        vs.append(float(m.group(2)))
    return {labels: (ts, np.array(vs).view(np.uint64).tolist()) for labels, (ts, vs) in got.items()}


@pytest.mark.reference
def test_same_samples_as_promtool(
    tmp_path: Path, promtool: str, dataset_file: tuple[Path, Dump]
) -> None:
    path, _ = dataset_file
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(path), str(tmp_path / "ref")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    res = CliRunner().invoke(
        tsdb, ["import", "openmetrics", "-q", str(path), str(tmp_path / "ours")]
    )
    assert res.exit_code == 0, res.output
    theirs = read_promtool(promtool, tmp_path / "ref")
    assert read_ours(tmp_path / "ours") == theirs
    ref_blocks = sorted(
        (json.loads(p.read_text())["minTime"], json.loads(p.read_text())["maxTime"])
        for p in (tmp_path / "ref").glob("*/meta.json")
    )
    our_blocks = sorted(
        (json.loads(p.read_text())["minTime"], json.loads(p.read_text())["maxTime"])
        for p in (tmp_path / "ours").glob("*/meta.json")
    )
    assert our_blocks == ref_blocks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("up 1 1700000000\nup{ 2 1700000001\n# EOF\n", "line 2, col "),
        ("up 1 1700000000\nup 2\n# EOF\n", "line 2, col 5: expected timestamp for series up"),
        ("up 1 1700000000\n", "line "),  # no "# EOF"
    ],
)
def test_bad_input_changes_nothing(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ImportInputError, match=re.escape(message)):
        import_openmetrics(text.encode(), tmp_path / "new")
    assert not (tmp_path / "new").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep").write_text("x")
    f = tmp_path / "bad.om"
    f.write_text(text)
    res = CliRunner().invoke(tsdb, ["import", "openmetrics", str(f), str(existing)])
    assert res.exit_code == 1
    assert message in res.output
    assert [p.name for p in existing.iterdir()] == ["keep"]


def test_cli_import_and_stats(tmp_path: Path) -> None:
    f = tmp_path / "in.om"
    f.write_text(
        'http_total{code="200",job="api"} 1 1700000000\n'
        'http_total{code="200",job="api"} 2 1700000015.5\n'
        'http_total{code="500",job="api"} 3 1700000030\n'
        "up 1 1700007300\n# EOF\n"
    )
    res = CliRunner().invoke(tsdb, ["import", "openmetrics", str(f), str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    assert "BLOCK ULID" in res.output and "1700000030001" in res.output
    res = CliRunner().invoke(tsdb, ["stats", "--format", "json", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    stats = json.loads(res.output)
    assert stats["headStats"] == {
        "numSeries": 3,
        "numLabelPairs": 5,
        "chunkCount": 0,
        "minTime": 1700000000000,
        "maxTime": 1700007300000,
    }
    assert stats["seriesCountByMetricName"] == [
        {"name": "http_total", "value": 2},
        {"name": "up", "value": 1},
    ]
    res = CliRunner().invoke(tsdb, ["stats", str(tmp_path / "d")])
    assert res.exit_code == 0
    assert "Highest cardinality metric names:" in res.output
    assert "         2 http_total" in res.output
    assert not (tmp_path / "d" / "wal").exists()  # stats only reads
