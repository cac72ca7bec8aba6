"""The example Alertmanager configuration is valid (the real amtool) and
routes warning and critical alerts differently."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.reference import reference_required

ROOT = Path(__file__).resolve().parents[2]
SECRET = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"

#: labels of an alert -> receivers it must reach
ROUTES = [
    ({"alertname": "NodeExporterDown", "severity": "critical"}, "pager,team-chat"),
    ({"alertname": "NodeCPUHighUsage", "severity": "warning"}, "team-chat"),
    ({"alertname": "KubeCPUThrottlingHigh", "severity": "info"}, "blackhole"),
]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    doc = yaml.safe_load(SECRET.read_text())
    path = tmp_path / "alertmanager.yml"
    path.write_text(doc["stringData"]["alertmanager.yaml"])
    return path


def _amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        reason = "amtool not found (Debian package prometheus-alertmanager)"
        if reference_required():
            pytest.fail(reason + " [PROMLAB_REQUIRE_REFERENCE=1]", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.mark.reference
def test_amtool_check_config(config: Path) -> None:
    out = subprocess.run([_amtool(), "check-config", str(config)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.reference
@pytest.mark.parametrize(("labels", "receivers"), ROUTES, ids=[r[0]["severity"] for r in ROUTES])
def test_routing(config: Path, labels: dict[str, str], receivers: str) -> None:
    args = [f"{k}={v}" for k, v in labels.items()]
    out = subprocess.run(
        [_amtool(), "config", "routes", "test", f"--config.file={config}", *args],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == receivers
