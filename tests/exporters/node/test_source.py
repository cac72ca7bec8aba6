"""HostSource path handling and the statfs guard against hung mounts."""

from __future__ import annotations

import os
import threading

import pytest

from exporters.node.source import HostSource, Paths, StatfsRunner, StuckMountError
from tests.exporters.node.helpers import FIXTURES, PATHS


def test_paths_are_resolved_under_the_flags() -> None:
    source = HostSource(PATHS)
    assert source.proc("loadavg") == (FIXTURES / "proc" / "loadavg").read_text()
    assert "clocksource0" in source.sys_list("devices/system/clocksource")
    assert source.root("/etc/os-release").startswith("PRETTY_NAME=")
    with pytest.raises(FileNotFoundError):
        source.proc("no/such/file")


@pytest.mark.parametrize(
    ("rootfs", "path", "label"),
    [("/", "/boot", "/boot"), ("/host/root", "/host/root/boot", "/boot"),
     ("/host/root", "/host/root", "/"), ("/host/root", "/other", "/other")],
)  # fmt: skip
def test_strip_rootfs(rootfs: str, path: str, label: str) -> None:
    assert HostSource(Paths(rootfs=rootfs)).strip_rootfs(path) == label


def test_statfs_goes_through_rootfs() -> None:
    st = HostSource(PATHS).statfs("/boot")
    assert st.blocks == os.statvfs(FIXTURES / "root" / "boot").f_blocks


def test_a_hung_statfs_marks_the_mount_stuck_until_it_returns() -> None:
    release = threading.Event()
    calls: list[str] = []

    def statvfs(path: str) -> os.statvfs_result:
        calls.append(path)
        if path == "/nfs":
            release.wait(timeout=30)  # bounded: the test never hangs
        return os.statvfs("/")

    runner = StatfsRunner(0.05, statvfs)
    with pytest.raises(StuckMountError):
        runner.statfs("/nfs")
    with pytest.raises(StuckMountError):  # no second wait on a known-stuck mount
        runner.statfs("/nfs")
    assert runner.statfs("/ok").blocks > 0  # a fresh worker serves the others
    release.set()
    for _ in range(200):  # the retired worker clears the mark once statfs returns
        try:
            runner.statfs("/nfs")
            break
        except StuckMountError:
            threading.Event().wait(0.01)
    assert calls.count("/nfs") == 2
