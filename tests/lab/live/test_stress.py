"""Stressors: limits refused up front; tiny runs start, stop by themselves and
leave no child behind, also on SIGTERM and when the parent is killed."""

from __future__ import annotations

import re
import signal
import subprocess

import psutil
import pytest

from lab.live.errors import StressLimitError
from lab.live.stress import HostLimits, Stressor, check_cpu, check_memory, parse_bytes, run

from .conftest import PROCESS_TIMEOUT_S, PROMLAB, REPO

MiB = 1 << 20
LIMITS = HostLimits(cores=2, available_bytes=4096 * MiB, total_bytes=8192 * MiB)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("64MiB", 64 * MiB),
        ("512MB", 512_000_000),
        ("1.5GiB", 3 << 29),
        ("4096", 4096),
        ("2k", 2000),
    ],
)
def test_parse_bytes(text: str, size: int) -> None:
    assert parse_bytes(text) == size


@pytest.mark.parametrize("text", ["", "lots", "5 parsecs", "-1MiB"])
def test_parse_bytes_refuses_nonsense(text: str) -> None:
    with pytest.raises(StressLimitError, match="invalid size"):
        parse_bytes(text)


def test_limits_are_refused_with_a_clear_error() -> None:
    check_cpu(2, 1.0, LIMITS)
    with pytest.raises(StressLimitError, match=r"between 1 and 2 \(the cores available here\)"):
        check_cpu(3, 1.0, LIMITS)
    with pytest.raises(StressLimitError, match="--cores"):
        check_cpu(0, 1.0, LIMITS)
    with pytest.raises(StressLimitError, match="--duration"):
        check_cpu(1, 0.0, LIMITS)
    with pytest.raises(StressLimitError, match="--duration"):
        check_cpu(1, 10**9, LIMITS)
    # 4096 MiB available minus a margin of 10 % of 8192 MiB.
    check_memory(3000 * MiB, 1.0, LIMITS)
    with pytest.raises(StressLimitError, match="exceeds what can be taken safely"):
        check_memory(3500 * MiB, 1.0, LIMITS)
    with pytest.raises(StressLimitError, match="> 0"):
        check_memory(0, 1.0, LIMITS)


def test_real_host_limits_refuse_more_cores_than_the_machine() -> None:
    limits = HostLimits.current()
    with pytest.raises(StressLimitError):
        Stressor.cpu(limits.cores + 1, 1.0)
    with pytest.raises(StressLimitError):
        Stressor.memory(limits.total_bytes, 1.0)


def test_cpu_stressor_stops_by_itself() -> None:
    stressor = Stressor.cpu(1, 0.5)
    started: list[int] = []
    assert run(stressor, lambda s: started.extend(s.pids)) is True
    assert len(started) == 1
    assert [c.returncode for c in stressor.children] == [0]


def test_memory_stressor_holds_the_memory_then_releases_it() -> None:
    with Stressor.memory(8 * MiB, 30.0) as stressor:
        (pid,) = stressor.pids
        assert psutil.Process(pid).memory_info().rss >= 8 * MiB
    assert gone(pid)


def cli_stress_started(args: list[str]) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen(
        [*PROMLAB, "stress", *args], cwd=REPO, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    m = re.search(r"started \(pids ([\d ]+)\)", line)
    assert m, line
    return proc, [int(p) for p in m.group(1).split()]


def test_sigterm_stops_the_workers() -> None:
    proc, pids = cli_stress_started(["memory", "--bytes", "4MiB", "--duration", "5m"])
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=PROCESS_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted; workers stopped" in err
    assert all(gone(p) for p in pids)


def test_workers_die_with_a_killed_parent() -> None:
    proc, pids = cli_stress_started(["cpu", "--cores", "1", "--duration", "5m"])
    proc.kill()  # no cleanup code runs: the kernel's parent-death signal must
    proc.communicate(timeout=PROCESS_TIMEOUT_S)
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=20)
    for p in alive:  # never leave a spinning core behind, even when failing
        p.kill()
    assert not alive


def test_cli_refuses_absurd_values() -> None:
    out = subprocess.run(
        [*PROMLAB, "stress", "cpu", "--cores", "4096", "--duration", "1s"],
        cwd=REPO, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
    )  # fmt: skip
    assert out.returncode == 1
    assert "--cores must be between 1 and" in out.stderr
