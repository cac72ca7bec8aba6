"""The python-vagrant driver issues the right ``vagrant`` commands: a test
double of the binary on PATH records its argv (no VM can boot here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab.cli import main
from lab.vagrant.driver import LAB_DIR, MachineStatus, VagrantLab
from lab.vagrant.errors import MachineNameError, VagrantError, VagrantNotFoundError

FAKE = """#!{python}
import json, os, sys
with open(os.environ["FAKE_VAGRANT_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
args = sys.argv[1:]
if args[:1] == ["status"]:
    for name, state in (("monitoring", "running"), ("worker1", "not_created")):
        print(f"1700000000,{{name}},provider-name,virtualbox")
        print(f"1700000000,{{name}},state,{{state}}")
elif args[:1] == ["ssh"] and "--command" in args:
    print("ran: " + args[args.index("--command") + 1])
sys.exit(int(os.environ.get("FAKE_VAGRANT_EXIT", "0")))
"""


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Puts the fake ``vagrant`` first on PATH; returns its log file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "vagrant"
    fake.write_text(FAKE.format(python=sys.executable))
    fake.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_VAGRANT_LOG", str(log))
    return log


def recorded(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(Path(e["cwd"]) == LAB_DIR for e in entries)
    return [e["argv"] for e in entries]


def test_up_status_ssh_destroy_issue_the_right_commands(calls: Path) -> None:
    lab = VagrantLab(quiet=True)
    lab.up()
    lab.up("worker1", provision=False)
    assert lab.status() == [
        MachineStatus("monitoring", "running", "virtualbox"),
        MachineStatus("worker1", "not_created", "virtualbox"),
    ]
    assert lab.ssh("worker1", "systemctl is-active promlab-demo-app") == (
        "ran: systemctl is-active promlab-demo-app\n"
    )
    assert lab.ssh("monitoring") is None
    lab.destroy()
    lab.destroy("worker2")
    lab.validate()
    assert recorded(calls) == [
        ["up"],
        ["up", "worker1", "--no-provision"],
        ["status", "--machine-readable"],
        ["ssh", "worker1", "--command", "systemctl is-active promlab-demo-app"],
        ["ssh", "monitoring"],
        ["destroy", "--force"],
        ["destroy", "worker2", "--force"],
        ["validate"],
    ]


def test_failures_name_the_command_and_exit_status(
    calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_VAGRANT_EXIT", "3")
    lab = VagrantLab(quiet=True)
    with pytest.raises(VagrantError, match=r"vagrant up failed \(exit status 3\)"):
        lab.up()
    with pytest.raises(VagrantError, match=r"vagrant validate failed \(exit status 3\)"):
        lab.validate()


def test_missing_vagrant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(VagrantNotFoundError, match="apt-get install vagrant"):
        VagrantLab().status()


def test_bad_machine_names_run_nothing(calls: Path) -> None:
    with pytest.raises(MachineNameError):
        VagrantLab().up("--provider=docker")
    assert recorded(calls) == []


def test_no_vagrantfile(calls: Path, tmp_path: Path) -> None:
    with pytest.raises(VagrantError, match="no Vagrantfile"):
        VagrantLab(tmp_path).status()


def test_cli(calls: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["vagrant", "status"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [
        "monitoring", "running", "virtualbox", "worker1", "not_created", "virtualbox",
    ]  # fmt: skip
    assert runner.invoke(main, ["vagrant", "up", "monitoring"]).exit_code == 0
    result = runner.invoke(main, ["vagrant", "ssh", "worker2", "-c", "uptime"])
    assert result.output == "ran: uptime\n"
    # destroy asks first; "n" destroys nothing.
    assert runner.invoke(main, ["vagrant", "destroy"], input="n\n").exit_code == 1
    assert runner.invoke(main, ["vagrant", "destroy", "-f", "worker1"]).exit_code == 0
    assert recorded(calls) == [
        ["status", "--machine-readable"],
        ["up", "monitoring"],
        ["ssh", "worker2", "--command", "uptime"],
        ["destroy", "worker1", "--force"],
    ]


def test_cli_reports_errors(calls: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VAGRANT_EXIT", "1")
    result = CliRunner().invoke(main, ["vagrant", "up"])
    assert result.exit_code == 1
    assert "vagrant up failed (exit status 1)" in result.output
