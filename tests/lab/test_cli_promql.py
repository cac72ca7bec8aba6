"""``promlab promql test``: human and JSON output, exit status."""

import json
from pathlib import Path

from click.testing import CliRunner

from lab.cli_promql import promql

SCRIPT = """
load 1m
    x{a="1"} 0+1x10

eval instant at 5m x
    x{a="1"} 5

eval instant at 5m x
    x{a="1"} 6

eval instant at 5m sum(x)
    {} 5
"""


def test_text_output_and_exit_code(tmp_path: Path) -> None:
    f = tmp_path / "t.test"
    f.write_text(SCRIPT)
    res = CliRunner().invoke(promql, ["test", str(f)])
    assert res.exit_code == 1
    assert res.output.splitlines()[-1] == "2 passed, 1 failed, 0 skipped"
    assert "t.test:8" in res.output


def test_json_output(tmp_path: Path) -> None:
    f = tmp_path / "t.test"
    f.write_text(SCRIPT.replace("x{a=\"1\"} 6", "x{a=\"1\"} 5"))
    res = CliRunner().invoke(promql, ["test", "--format", "json", str(f)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert [r["line"] for r in rows] == [5, 8, 11]
    assert {r["status"] for r in rows} == {"pass"}
    assert set(rows[0]) == {"file", "line", "expr", "status", "message"}
