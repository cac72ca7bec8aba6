"""The exporter: error boundary, collector selection, collect[] filtering,
the HTTP route (through the shared web layer) and the command's flags."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from exporters.node import collectors
from exporters.node.errors import FilterError, OptionsError
from exporters.node.exporter import NodeExporter, resolve_enabled
from exporters.node.serve import node_routes
from tests.exporters.node.helpers import fixture_options, fixture_source, get, serving

ALL = list(collectors.DEFAULTS)


def exporter(enabled: list[str] | None = None) -> NodeExporter:
    return NodeExporter(fixture_source(), fixture_options(), enabled or ALL)


def samples(fams: Any, name: str) -> dict[str, float]:
    return {
        s.labels.get("collector", ""): s.value for f in fams for s in f.samples if s.name == name
    }


def test_a_failing_collector_reports_zero_and_never_fails_the_scrape() -> None:
    class Broken:
        def collect(self) -> Iterator[Any]:
            raise OSError("boom")

    node = exporter(["loadavg", "stat"])
    node.collectors["stat"] = Broken()
    fams = list(node.collect())
    assert samples(fams, "node_scrape_collector_success") == {"loadavg": 1.0, "stat": 0.0}
    assert set(samples(fams, "node_scrape_collector_duration_seconds")) == {"loadavg", "stat"}
    assert any(f.name == "node_load1" for f in fams)
    assert [f.name for f in fams] == sorted(f.name for f in fams)


@pytest.mark.parametrize(
    ("explicit", "disable_defaults", "expected"),
    [
        ({}, False, ALL),
        ({"textfile": False}, False, [n for n in ALL if n != "textfile"]),
        ({"cpu": True, "meminfo": True}, True, ["cpu", "meminfo"]),
        ({"cpu": False}, True, []),
    ],
)
def test_resolve_enabled(
    explicit: dict[str, bool], disable_defaults: bool, expected: list[str]
) -> None:
    assert resolve_enabled(explicit, disable_defaults) == expected


def test_unknown_collector_flag() -> None:
    with pytest.raises(OptionsError, match="unknown collector"):
        resolve_enabled({"wifi": True})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bogus", "Couldn't create filtered metrics handler: couldn't create collector: "
                  "missing collector: bogus"),
        ("meminfo", "Couldn't create filtered metrics handler: couldn't create collector: "
                    "disabled collector: meminfo"),
    ],
)  # fmt: skip
def test_filter_errors_carry_upstream_text(name: str, message: str) -> None:
    with pytest.raises(FilterError) as err:
        exporter(["cpu"]).filtered([name])
    assert str(err.value) == message


def _get(
    route_kwargs: dict[str, Any], path: str, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    with serving(node_routes(exporter(["loadavg", "meminfo"]), **route_kwargs)) as url:
        headers.setdefault("Accept-Encoding", "identity")
        return get(url + path, **headers)


def test_http_collect_filter_400_and_text_format() -> None:
    status, headers, body = _get({}, "/metrics?collect[]=bogus")
    assert status == 400
    assert body.decode() == (
        "Couldn't create filtered metrics handler: couldn't create collector: "
        "missing collector: bogus"
    )
    status, headers, body = _get(
        {}, "/metrics?collect[]=loadavg", Accept="application/openmetrics-text"
    )
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = body.decode()
    assert "node_load1 " in text and "node_memory_" not in text
    assert 'node_scrape_collector_success{collector="loadavg"} 1\n' in text
    assert "node_exporter_build_info{" in text
    assert "process_resident_memory_bytes " in text and "python_info{" in text
    assert 'promhttp_metric_handler_requests_total{code="200"}' in text
    assert "_created" not in text


def test_http_gzip_disable_exporter_metrics_and_landing_page() -> None:
    status, headers, body = _get(
        {"exporter_metrics": False, "telemetry_path": "/m"}, "/m", **{"Accept-Encoding": "gzip"}
    )
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(body).decode()
    assert "node_memory_MemTotal_bytes " in text
    assert "process_" not in text and "promhttp_" not in text and "python_" not in text
    status, _, body = _get({"telemetry_path": "/m"}, "/")
    assert status == 200 and b'href="m"' in body


def test_cli_flags_reach_the_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    from lab.cli import main

    seen: dict[str, Any] = {}

    def fake_serve(node: NodeExporter, addresses: Any, **kwargs: Any) -> None:
        seen.update(node=node, addresses=addresses, **kwargs)

    monkeypatch.setattr("exporters.node.serve.serve", fake_serve)
    result = CliRunner().invoke(
        main,
        [
            "node-exporter", "--web.listen-address=127.0.0.1:0", "--collector.disable-defaults",
            "--collector.netdev", "--collector.filesystem", "--no-collector.cpu",
            "--collector.netdev.device-include=^eth", "--web.disable-exporter-metrics",
            "--collector.filesystem.mount-points-exclude=^/x$", "--path.procfs=/p",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    node = seen["node"]
    assert node.enabled == ("filesystem", "netdev")
    assert seen["exporter_metrics"] is False
    assert seen["addresses"] == ("127.0.0.1:0",)
    assert node.collectors["netdev"].devices.include.pattern == "^eth"
    assert node.collectors["netdev"].devices.exclude is None
    assert node.collectors["filesystem"].mount_points_exclude.pattern == "^/x$"


def test_cli_rejects_conflicting_device_filters() -> None:
    from lab.cli import main

    result = CliRunner().invoke(
        main,
        [
            "node-exporter", "--collector.netdev.device-include=^eth",
            "--collector.netdev.device-exclude=^lo$",
        ],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "mutually exclusive" in result.output
