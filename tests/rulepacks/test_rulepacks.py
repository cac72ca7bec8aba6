"""The rule packs: conventions, and the real promtool accepts every file.

Conventions (rulepacks.md): every alert has a severity in {critical,
warning, info} and summary, description and runbook_url annotations; the
summary is a static sentence, the description is templated; recording rules
are named level:metric:operations; every alert name has a unit test beside
it in <pack>.test.yml.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.reference import require_binary

RULEPACKS = Path(__file__).resolve().parents[2] / "rulepacks"
PACKS = sorted(p.name for p in RULEPACKS.iterdir() if (p / f"{p.name}.rules.yml").exists())
RECORD_NAME = re.compile(r"^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$")
ALERT_NAME = re.compile(r"^([A-Z]+[a-z0-9]+)+$")


def _rules(pack: str) -> list[dict[str, Any]]:
    doc = yaml.safe_load((RULEPACKS / pack / f"{pack}.rules.yml").read_text())
    return [r for g in doc["groups"] for r in g["rules"]]


def test_the_packs_exist() -> None:
    assert {"node", "kubernetes", "batch", "golden-signals", "targets"} <= set(PACKS)


@pytest.mark.parametrize("pack", PACKS)
def test_conventions(pack: str) -> None:
    tests = (RULEPACKS / pack / f"{pack}.test.yml").read_text()
    tested = set(re.findall(r"alertname:\s*(\S+)", tests))
    for rule in _rules(pack):
        if "record" in rule:
            assert RECORD_NAME.match(rule["record"]), rule["record"]
            continue
        name = rule["alert"]
        assert ALERT_NAME.match(name) and len(name) <= 40, name
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        notes = rule["annotations"]
        assert set(notes) >= {"summary", "description", "runbook_url"}, name
        assert "{{" not in notes["summary"] and notes["summary"].endswith("."), name
        assert notes["summary"][0].isupper(), name
        assert "{{" in notes["description"], name
        assert notes["runbook_url"].startswith("https://"), name
        assert name in tested, f"{name} has no unit test in {pack}.test.yml"


@pytest.mark.reference
@pytest.mark.parametrize("pack", PACKS)
def test_promtool_check_rules(pack: str) -> None:
    promtool = require_binary("promtool")
    out = subprocess.run([promtool, "check", "rules", f"{pack}.rules.yml"],
                         cwd=RULEPACKS / pack, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


@pytest.mark.reference
@pytest.mark.parametrize("pack", PACKS)
def test_promtool_test_rules(pack: str) -> None:
    promtool = require_binary("promtool")
    out = subprocess.run([promtool, "test", "rules", f"{pack}.test.yml"],
                         cwd=RULEPACKS / pack, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
