"""``promlab rules check`` against the real ``promtool check rules``: same
output (file:line:col, wording) and exit codes on bad rule files and on
promtool's own testdata."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.cli_rules import rules

DATA = Path(__file__).parent / "data" / "rulefiles"
CONFORMANCE = Path(__file__).resolve().parents[4].parent / "shared" / "conformance" / "promtool"
FILES = sorted(p.name for p in DATA.glob("*.yml"))
UPSTREAM = [
    "rules.yml",
    "rules-bad.yml",
    "rules_duplicates.yml",
    "bad-rules-syntax.yml",
    "rules_extrafields.yml",
    "at-modifier.yml",
    "negative-offset.yml",
]


def _ours(args: list[str]) -> tuple[int, str, str]:
    res = CliRunner().invoke(rules, ["check", *args])
    return res.exit_code, res.stdout, res.stderr


@pytest.mark.reference
@pytest.mark.parametrize(
    ("where", "name", "flags"),
    [(DATA, f, []) for f in FILES]
    + [(CONFORMANCE, f, []) for f in UPSTREAM]
    + [
        (CONFORMANCE, "rules_duplicates.yml", ["--lint-fatal"]),
        (CONFORMANCE, "rules_duplicates.yml", ["--lint=none"]),
    ],
)
def test_same_as_promtool(
    where: Path, name: str, flags: list[str], promtool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not where.is_dir():
        pytest.skip("no conformance data")
    ref = subprocess.run(
        [promtool, "check", "rules", *flags, name],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
    )
    monkeypatch.chdir(where)
    assert _ours([*flags, name]) == (ref.returncode, ref.stdout, ref.stderr)
