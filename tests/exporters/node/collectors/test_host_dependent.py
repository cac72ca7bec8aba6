"""Collectors whose values come from syscalls or statfs, on a ``FakeSource``."""

from __future__ import annotations

import pytest

from exporters.common.exposition import render as render_text
from exporters.node import collectors
from exporters.node.exporter import family_name
from exporters.node.options import NodeOptions
from exporters.node.source import FakeSource, StatFs, Timex, Uname


def render(name: str, source: FakeSource, options: NodeOptions | None = None) -> str:
    collector = collectors.build(name, source, options or NodeOptions())
    return render_text(sorted(collector.collect(), key=family_name)).decode()


MOUNTS = """\
/dev/sda2 / ext4 rw,relatime 0 0
/dev/sda1 /boot vfat ro,relatime 0 0
/dev/sda2 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
tmpfs /run tmpfs rw 0 0
nfs:/x /srv/nfs\\040share nfs4 rw 0 0
overlay /data overlay rw 0 0
"""


def test_filesystem_statfs_values_excludes_and_device_errors() -> None:
    source = FakeSource(
        files={"proc/1/mounts": MOUNTS},
        statfs_results={
            "/": StatFs(4096, 1000, 400, 300, 5000, 4000),
            "/boot": StatFs(1024, 512, 256, 256, 0, 0),
            "/srv/nfs share": TimeoutError("stuck"),
        },
    )
    text = render("filesystem", source)
    assert (
        'node_filesystem_size_bytes{device="/dev/sda2",fstype="ext4",mountpoint="/"} 4.096e+06'
        in text
    )
    assert (
        'node_filesystem_avail_bytes{device="/dev/sda2",fstype="ext4",mountpoint="/"} 1.2288e+06'
        in text
    )
    assert 'node_filesystem_readonly{device="/dev/sda1",fstype="vfat",mountpoint="/boot"} 1' in text
    assert (
        'node_filesystem_device_error{device="nfs:/x",fstype="nfs4",mountpoint="/srv/nfs share"} 1'
        in text
    )
    # a failed mount reports device_error only; excluded mounts/types nothing
    assert 'size_bytes{device="nfs:/x"' not in text
    assert "/proc" not in text and "/run" not in text and "overlay" not in text
    assert text.count("node_filesystem_size_bytes{") == 2  # the duplicate "/" once
    # only the network filesystem's statfs runs under the mount timeout
    assert source.statfs_calls == [("/", False), ("/boot", False), ("/srv/nfs share", True)]


def test_filesystem_falls_back_to_self_mounts_and_strips_rootfs() -> None:
    source = FakeSource(
        files={"proc/self/mounts": "/dev/vda /host/root ext4 rw 0 0\n"},
        statfs_results={"/": StatFs(4096, 10, 5, 5, 10, 5)},
        rootfs="/host/root",
    )
    assert 'mountpoint="/"} 40960' in render("filesystem", source)


def test_filesystem_include_excludes_flags() -> None:
    source = FakeSource(
        files={"proc/1/mounts": MOUNTS},
        statfs_results={"/": StatFs(4096, 1, 1, 1, 1, 1), "/boot": StatFs(4096, 1, 1, 1, 1, 1)},
    )
    text = render(
        "filesystem", source, NodeOptions(mount_points_exclude="^/boot$", fs_types_exclude="^$")
    )
    assert 'mountpoint="/boot"' not in text
    assert 'mountpoint="/proc"' in text  # fstype proc no longer excluded (statfs fails here)


def test_time_collector() -> None:
    source = FakeSource(
        files={
            "sys/devices/system/clocksource/clocksource0/available_clocksource": "tsc hpet\n",
            "sys/devices/system/clocksource/clocksource0/current_clocksource": "tsc\n",
        },
        now=1795249363.0686367,
        zone=("CET", 3600),
    )
    text = render("time", source)
    assert "node_time_seconds 1.7952493630686367e+09\n" in text
    assert 'node_time_zone_offset_seconds{time_zone="CET"} 3600\n' in text
    assert 'node_time_clocksource_available_info{clocksource="hpet",device="0"} 1\n' in text
    assert 'node_time_clocksource_current_info{clocksource="tsc",device="0"} 1\n' in text


TIMEX = Timex(
    state=5, offset=-1500, freq=655360, maxerror=16_000_000, esterror=16_000_000, status=0x2040,
    constant=2, tick=10000, ppsfreq=0, jitter=250, shift=0, stabil=0, jitcnt=1, calcnt=2,
    errcnt=3, stbcnt=4, tai=37,
)  # fmt: skip


def test_timex_units() -> None:
    text = render("timex", FakeSource(timex_result=TIMEX))
    # STA_NANO (0x2000) set: offset and jitter are nanoseconds
    assert "node_timex_offset_seconds -1.5e-06\n" in text
    assert "node_timex_pps_jitter_seconds 2.5e-07\n" in text
    assert "node_timex_frequency_adjustment_ratio 1.00001\n" in text
    assert "node_timex_maxerror_seconds 16\n" in text
    assert "node_timex_tick_seconds 0.01\n" in text
    assert "node_timex_sync_status 0\n" in text  # TIME_ERROR
    assert "node_timex_tai_offset_seconds 37\n" in text
    assert "node_timex_pps_stability_exceeded_total 4\n" in text


def test_uname() -> None:
    source = FakeSource(uname_result=Uname("Linux", "n1", "6.1.0", "#1 SMP", "x86_64", "(none)"))
    assert render("uname", source) == (
        "# HELP node_uname_info Labeled system information as provided by the uname system call.\n"
        "# TYPE node_uname_info gauge\n"
        'node_uname_info{domainname="(none)",machine="x86_64",nodename="n1",release="6.1.0",'
        'sysname="Linux",version="#1 SMP"} 1\n'
    )


@pytest.mark.parametrize(
    ("release", "version_line"),
    [
        ('ID=ubuntu\nID_LIKE=debian\nNAME="Ubuntu"\nVERSION_ID="22.04"\n',
         'node_os_version{id="ubuntu",id_like="debian",name="Ubuntu"} 22.04'),
        ("ID=arch\nNAME='Arch Linux'\n", None),  # rolling: no VERSION_ID, no version series
    ],
)  # fmt: skip
def test_os_release_parsing(release: str, version_line: str | None) -> None:
    text = render("os", FakeSource(files={"root/usr/lib/os-release": release}))
    assert "node_os_info{" in text
    if version_line is None:
        assert "node_os_version" not in text
    else:
        assert version_line in text
