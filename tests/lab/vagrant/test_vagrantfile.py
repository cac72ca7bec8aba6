"""The lab's Vagrantfile and provisioning: ``vagrant validate`` accepts it,
shellcheck accepts the scripts, and the pieces they name exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from lab.server.config import load_file

from .conftest import LAB, offline_vagrant_env, require_tool

SCRIPTS = sorted((LAB / "provision").glob("*.sh"))
TIMEOUT_S = 120
# CI has no VM provider (vagrant installed without its recommends): plain
# `vagrant validate` would fail looking for a usable default provider, so the
# provider blocks are skipped and everything else is still validated.
VALIDATE = ["validate", "--ignore-provider"]


@pytest.mark.parametrize("workers", ["2", "3"])
def test_vagrant_validate_accepts_the_vagrantfile(tmp_path: Path, workers: str) -> None:
    vagrant = require_tool("vagrant", "vagrant")
    env = offline_vagrant_env(tmp_path) | {"PROMLAB_WORKERS": workers}
    result = subprocess.run(
        [vagrant, *VALIDATE], cwd=LAB, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validated successfully" in result.stdout


def test_vagrant_validate_rejects_a_broken_vagrantfile(tmp_path: Path) -> None:
    # The check has teeth: a setting vagrant does not know fails validation.
    vagrant = require_tool("vagrant", "vagrant")
    broken = tmp_path / "lab"
    broken.mkdir()
    text = (LAB / "Vagrantfile").read_text()
    (broken / "Vagrantfile").write_text(text.replace("node.vm.hostname", "node.vm.hostnam"))
    result = subprocess.run(
        [vagrant, *VALIDATE], cwd=broken, env=offline_vagrant_env(tmp_path),
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert result.returncode != 0


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_provisioning_scripts_pass_shellcheck(script: Path) -> None:
    shellcheck = require_tool("shellcheck", "shellcheck")
    result = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=style", str(script)],
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_scripts_stop_on_the_first_error(script: Path) -> None:
    assert "set -euo pipefail" in script.read_text()


def test_the_vagrantfile_names_existing_scripts_and_machines() -> None:
    text = (LAB / "Vagrantfile").read_text()
    paths = re.findall(r'path: "([^"]+)"', text)
    assert {Path(p).name for p in paths} == {s.name for s in SCRIPTS}
    assert all((LAB / p).is_file() for p in paths)
    assert '"monitoring"' in text and "worker#{i}" in text


def server_config(tmp_path: Path) -> Path:
    """What monitoring.sh writes: the base file plus one job per worker service."""
    base = (LAB / "files" / "prometheus.yml").read_text()
    jobs = "".join(
        f"  - job_name: {job}\n    static_configs:\n      - targets:\n"
        + "".join(f"          - worker{i}:{port}\n" for i in (1, 2))
        for job, port in (("node", 9100), ("demo", 8080))
    )
    path = tmp_path / "prometheus.yml"
    path.write_text(base + jobs)
    return path


def test_lab_server_config_is_accepted_by_promtool(tmp_path: Path) -> None:
    promtool = require_tool("promtool", "prometheus")
    result = subprocess.run(
        [promtool, "check", "config", "--syntax-only", str(server_config(tmp_path))],
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_is_accepted_by_amtool() -> None:
    amtool = require_tool("amtool", "prometheus-alertmanager")
    result = subprocess.run(
        [amtool, "check-config", str(LAB / "files" / "alertmanager.yml")],
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_lab_server_config_is_accepted_by_promlab_server(tmp_path: Path) -> None:
    config = load_file(server_config(tmp_path))
    assert {s.job_name for s in config.scrape_configs} == {
        "promlab", "alertmanager", "locust", "node", "demo",
    }  # fmt: skip


def test_alertmanager_config_shape() -> None:
    doc = yaml.safe_load((LAB / "files" / "alertmanager.yml").read_text())
    receivers = {r["name"] for r in doc["receivers"]}
    assert doc["route"]["receiver"] in receivers
