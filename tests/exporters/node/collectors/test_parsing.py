"""Parsers and edge cases of the file-based collectors (fake sources)."""

from __future__ import annotations

import pytest

from exporters.node import collectors
from exporters.node.collectors.cpu import CpuCollector
from exporters.node.collectors.meminfo import parse_meminfo
from exporters.node.errors import CollectorError, NoDataError
from exporters.node.options import NodeOptions
from exporters.node.source import FakeSource


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("MemTotal:       24684084 kB", "MemTotal_bytes", 24684084 * 1024.0),
        ("Active(anon):       1580 kB", "Active_anon_bytes", 1580 * 1024.0),
        ("HugePages_Total:       0", "HugePages_Total", 0.0),
        ("Hugepagesize:       2048 kB", "Hugepagesize_bytes", 2048 * 1024.0),
    ],
)
def test_meminfo_names(line: str, key: str, value: float) -> None:
    assert parse_meminfo(line + "\n") == {key: value}


@pytest.mark.parametrize("line", ["MemTotal: 1 MB", "MemTotal 1 kB", "MemTotal: x kB"])
def test_meminfo_rejects_malformed_lines(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_meminfo(line)


def _stat(idle: int) -> str:
    return f"cpu  0 0 0 {idle} 0 0 0 0 0 0\ncpu0 0 0 0 {idle} 0 0 0 0 0 0\n"


def _idle(collector: CpuCollector) -> float:
    fam = next(iter(collector.collect()))
    return next(s.value for s in fam.samples if s.labels["mode"] == "idle")


def test_cpu_counters_never_step_back_a_little_but_follow_a_reset() -> None:
    files = {"proc/stat": _stat(100_000)}
    collector = CpuCollector(FakeSource(files=files), guest=False)
    assert _idle(collector) == 1000.0
    files["proc/stat"] = _stat(99_900)  # 1 s back: kernel jitter, keep the old value
    assert _idle(collector) == 1000.0
    files["proc/stat"] = _stat(10)  # far back: the CPU was replugged, follow it
    assert _idle(collector) == 0.1


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("conntrack", {}),
        ("pressure", {"proc/pressure/cpu": "some avg10=0 avg60=0 avg300=0 total=1\n"}),
    ],
)
def test_missing_sources_are_no_data(name: str, files: dict[str, str]) -> None:
    collector = collectors.build(name, FakeSource(files=files), NodeOptions())
    with pytest.raises(NoDataError):
        list(collector.collect())


def test_netdev_device_filters_and_nohandler() -> None:
    net_dev = (
        "Inter-|   Receive |  Transmit\n"
        " face |bytes packets|bytes packets\n"
        "    lo: 1 2 3 4\n  eth0: 5 6 7 8\nveth1: 9 9 9 9\n"
    )
    files = {"proc/net/dev": net_dev, "sys/class/net/eth0/statistics/rx_nohandler": "3\n"}
    source = FakeSource(files=files)
    fams = list(collectors.build("netdev", source, NodeOptions()).collect())
    got = {(f.name, s.labels["device"]): s.value for f in fams for s in f.samples}
    assert got[("node_network_receive_nohandler", "eth0")] == 3.0
    assert ("node_network_receive_bytes", "lo") not in got  # Debian default ^lo$
    options = NodeOptions(netdev_device_include="^veth")
    fams = list(collectors.build("netdev", source, options).collect())
    assert {s.labels["device"] for f in fams for s in f.samples} == {"veth1"}


def test_textfile_missing_directory_is_a_scrape_error_and_empty_flag_is_not() -> None:
    source = FakeSource()
    for directory, error in (("/nonexistent", 1.0), ("", 0.0)):
        collector = collectors.build("textfile", source, NodeOptions(textfile_directory=directory))
        (fam,) = list(collector.collect())
        assert fam.name == "node_textfile_scrape_error"
        assert fam.samples[0].value == error


def test_textfile_counter_without_total_suffix_keeps_its_name() -> None:
    from exporters.common.exposition import render

    source = FakeSource(files={"/tf/a.prom": "# TYPE cnt counter\ncnt 5\n"}, mtimes={})
    fams = collectors.build("textfile", source, NodeOptions(textfile_directory="/tf")).collect()
    text = render(fams).decode()
    assert "# TYPE cnt counter\ncnt 5\n" in text
    assert "node_textfile_scrape_error 0\n" in text
