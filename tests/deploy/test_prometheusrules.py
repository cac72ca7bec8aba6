"""deploy/rules/ holds one PrometheusRule per rule pack, generated from the
pack's rule file; the committed files are up to date and the real promtool
accepts the rules inside them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from lab.rulepacks.prometheusrule import expected_files, packs, render
from tests.reference import require_binary

ROOT = Path(__file__).resolve().parents[2]


def test_committed_prometheusrules_are_up_to_date() -> None:
    expected = expected_files(ROOT)
    assert expected
    stale = [str(p.relative_to(ROOT)) for p, text in expected.items()
             if not p.is_file() or p.read_text() != text]
    assert not stale, f"regenerate with `python -m lab.rulepacks.prometheusrule`: {stale}"
    extra = set((ROOT / "deploy" / "rules").glob("*.yaml")) - set(expected)
    assert not extra, f"no rule pack for {sorted(map(str, extra))}"


def test_render_keeps_every_rule() -> None:
    for pack in packs(ROOT):
        source = yaml.safe_load((ROOT / "rulepacks" / pack / f"{pack}.rules.yml").read_text())
        rendered = yaml.safe_load(render(pack, yaml.safe_dump(source)))
        assert rendered["kind"] == "PrometheusRule"
        assert rendered["spec"]["groups"] == source["groups"]


@pytest.mark.reference
@pytest.mark.parametrize("pack", packs(ROOT))
def test_promtool_accepts_the_rendered_rules(pack: str, tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    doc = yaml.safe_load((ROOT / "deploy" / "rules" / f"{pack}.yaml").read_text())
    rules = tmp_path / f"{pack}.rules.yml"
    rules.write_text(yaml.safe_dump(doc["spec"]))
    out = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
