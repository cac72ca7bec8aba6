"""static_configs, file_sd_configs (polled on a VirtualClock) and the
target-group -> target pipeline."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from lab.clock import VirtualClock
from lab.server.config import loads
from lab.server.scrape.discovery.base import TargetGroup
from lab.server.scrape.discovery.file import FileDiscoverer
from lab.server.scrape.discovery.static import StaticDiscoverer
from lab.server.scrape.errors import TargetError
from lab.server.scrape.target import Target, populate_labels
from tests.lab.server.scrape.fixtures import run


def _job(extra: str = "") -> Any:
    text = "scrape_configs:\n  - job_name: j\n    scrape_interval: 30s\n" + extra
    return loads(text).scrape_configs[0]


def test_static_groups() -> None:
    cfg = loads(
        "scrape_configs:\n  - job_name: s\n    static_configs:\n"
        "      - targets: [a:1, b:2]\n        labels: {env: x}\n      - targets: [c:3]\n"
    ).scrape_configs[0]

    async def body() -> list[Any]:
        return [u async for u in StaticDiscoverer(cfg.static_configs).run()]

    [update] = run(body)
    assert update == [
        TargetGroup("0", ({"__address__": "a:1"}, {"__address__": "b:2"}), {"env": "x"}),
        TargetGroup("1", ({"__address__": "c:3"},), {}),
    ]


def test_populate_labels_defaults_relabel_and_meta_drop() -> None:
    cfg = _job(
        "    metrics_path: /probe\n    params: {module: [http_2xx, x]}\n"
        "    relabel_configs:\n"
        "      - {source_labels: [__meta_dc], target_label: dc}\n"
    )
    labels, discovered = populate_labels(cfg, {"__address__": "h:9"}, {"__meta_dc": "eu"})
    assert labels is not None
    assert dict(labels) == {
        "__address__": "h:9",
        "__metrics_path__": "/probe",
        "__param_module": "http_2xx",
        "__scheme__": "http",
        "__scrape_interval__": "30s",
        "__scrape_timeout__": "10s",
        "dc": "eu",
        "instance": "h:9",
        "job": "j",
    }
    assert discovered.get("__meta_dc") == "eu"
    target = Target("j", labels, discovered)
    assert target.url(cfg.params) == "http://h:9/probe?module=http_2xx&module=x"
    assert dict(target.public_labels()) == {"dc": "eu", "instance": "h:9", "job": "j"}
    # The same target always gets the same offset, within the interval.
    first = target.first_scrape_ms(1_000_000)
    assert first == Target("j", labels, discovered).first_scrape_ms(1_000_000)
    assert 1_000_000 < first <= 1_030_000


def test_target_can_override_interval_and_is_checked() -> None:
    cfg = _job()
    labels, _ = populate_labels(cfg, {"__address__": "h:1", "__scrape_interval__": "1m"}, {})
    assert labels is not None and Target("j", labels, labels).interval_ms == 60_000
    with pytest.raises(TargetError, match="scrape timeout cannot be greater"):
        populate_labels(cfg, {"__address__": "h:1", "__scrape_timeout__": "1m"}, {})
    with pytest.raises(TargetError, match="no address"):
        populate_labels(
            _job("    relabel_configs: [{target_label: __address__, replacement: ''}]\n"),
            {"__address__": "h"},
            {},
        )


def test_relabel_drop_returns_none() -> None:
    cfg = _job(
        "    relabel_configs: [{source_labels: [__address__], regex: 'h:.*', action: drop}]\n"
    )
    labels, discovered = populate_labels(cfg, {"__address__": "h:1"}, {})
    assert labels is None
    assert discovered.get("__address__") == "h:1"


def _write(path: Path, groups: Any, mtime: int) -> None:
    path.write_text(json.dumps(groups))
    os.utime(path, ns=(mtime, mtime))  # changes are seen by mtime/size, not timing


def test_file_sd_changes_removals_and_bad_files(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    _write(a, [{"targets": ["h1:1", "h2:2"], "labels": {"env": "x"}}, {"targets": ["h3:3"]}], 1)
    cfg = (
        loads(
            f"scrape_configs:\n  - job_name: f\n    file_sd_configs:\n"
            f"      - files: ['{tmp_path}/*.json', '{tmp_path}/*.yml']\n"
            "        refresh_interval: 1m\n"
        )
        .scrape_configs[0]
        .file_sd_configs[0]
    )
    clock = VirtualClock(0)
    disc = FileDiscoverer(cfg, clock, watch_interval_ms=1000)

    async def body() -> list[list[TargetGroup]]:
        updates: list[list[TargetGroup]] = []
        it = disc.run()

        async def next_update() -> list[TargetGroup]:
            return list(await it.__anext__())

        updates.append(await next_update())  # initial read
        _write(a, [{"targets": ["h1:1"]}], 2)  # the second group is gone
        (tmp_path / "b.yml").write_text("- targets: ['y:1']\n")
        task = next_update()
        fut = asyncio.ensure_future(task)
        await clock.advance(1000)
        updates.append(await fut)
        (tmp_path / "b.yml").write_text("- targets: [unterminated\n")  # bad: kept
        a.unlink()  # removed: its groups go
        fut = asyncio.ensure_future(next_update())
        await clock.advance(1000)
        updates.append(await fut)
        await it.aclose()
        return updates

    initial, changed, removed = run(body)
    meta = {"__meta_filepath": str(a)}
    assert initial == [
        TargetGroup(
            f"{a}:0", ({"__address__": "h1:1"}, {"__address__": "h2:2"}), {"env": "x", **meta}
        ),
        TargetGroup(f"{a}:1", ({"__address__": "h3:3"},), meta),
    ]
    b = tmp_path / "b.yml"
    assert changed == [
        TargetGroup(f"{a}:0", ({"__address__": "h1:1"},), meta),
        TargetGroup(f"{a}:1"),
        TargetGroup(f"{b}:0", ({"__address__": "y:1"},), {"__meta_filepath": str(b)}),
    ]
    assert removed == [TargetGroup(f"{a}:0")]
