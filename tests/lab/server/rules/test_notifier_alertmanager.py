"""Delivery to the real Alertmanager: our notifier posts API v2 alerts, the
Alertmanager groups them by its route and calls a webhook served here; then
the resolution arrives the same way."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import pytest
from aiohttp import web

from lab.server.rules.manager import OutgoingAlert
from lab.server.rules.notifier import Notifier, payload, targets_from_config
from tests.reference import ReferenceProcess, free_port

pytestmark = pytest.mark.reference


def test_payload_and_config() -> None:
    body = json.loads(payload([OutgoingAlert({"alertname": "A"}, {"s": "x"}, 1_500, 61_000, "u")]))
    assert body == [
        {
            "labels": {"alertname": "A"},
            "annotations": {"s": "x"},
            "startsAt": "1970-01-01T00:00:01.5Z",
            "endsAt": "1970-01-01T00:01:01Z",
            "generatorURL": "u",
        }
    ]
    cfg = {"alertmanagers": [{"path_prefix": "/am/", "static_configs": [{"targets": ["h:9093"]}]}]}
    assert [t.url for t in targets_from_config(cfg)] == ["http://h:9093/am/api/v2/alerts"]


def test_queue_drops_oldest_and_batches() -> None:
    n = Notifier([], queue_capacity=3, max_batch=2, external_labels={"region": "eu"})
    n.send([OutgoingAlert({"alertname": str(i)}, {}, 0, 0) for i in range(5)])
    assert n.dropped == 2
    batch = n.next_batch()
    assert [a.labels["alertname"] for a in batch] == ["2", "3"]
    assert batch[0].labels["region"] == "eu"


async def _poll(pred: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the webhook")
        await asyncio.sleep(0.05)


def test_delivery_grouping_and_resolution(alertmanager: ReferenceProcess) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    async def scenario() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            (alertmanager.workdir / "alertmanager.yml").write_text(
                "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n"
                "  group_interval: 1s\n  repeat_interval: 1h\n"
                f"receivers:\n- name: hook\n  webhook_configs:\n  - url: http://127.0.0.1:{port}/hook\n"
            )
            req = urllib.request.Request(alertmanager.url + "/-/reload", method="POST")
            await asyncio.to_thread(urllib.request.urlopen, req, None, 10)
            notifier = Notifier.from_config(
                {"alertmanagers": [{"static_configs": [{"targets": [alertmanager.url[7:]]}]}]},
                external_labels={"cluster": "lab"},
            )
            sender = asyncio.create_task(notifier.run())
            now = int(time.time() * 1000)
            firing = [
                OutgoingAlert(
                    {"alertname": "Down", "instance": f"i{i}"},
                    {"summary": "down"},
                    now - 60_000,
                    now + 3_600_000,
                    "http://lab/graph",
                )
                for i in range(3)
            ] + [OutgoingAlert({"alertname": "Other"}, {}, now, now + 3_600_000)]
            notifier.send(firing)

            def groups_seen() -> set[str]:
                return {r["groupLabels"]["alertname"] for r in received if r["status"] == "firing"}

            await _poll(
                lambda: groups_seen() == {"Down", "Other"} and _count(received, "Down") == 3
            )
            down = next(r for r in received if r["groupLabels"] == {"alertname": "Down"})
            assert {a["labels"]["instance"] for a in down["alerts"]} == {"i0", "i1", "i2"}
            assert all(a["labels"]["cluster"] == "lab" for a in down["alerts"])
            assert down["alerts"][0]["annotations"] == {"summary": "down"}
            assert down["alerts"][0]["generatorURL"] == "http://lab/graph"

            end = int(time.time() * 1000)
            notifier.send(
                [
                    OutgoingAlert(a.labels, a.annotations, a.starts_at_ms, end, a.generator_url)
                    for a in firing[:3]
                ]
            )
            await _poll(
                lambda: any(
                    r["status"] == "resolved" and r["groupLabels"] == {"alertname": "Down"}
                    for r in received
                )
            )
            resolved = [r for r in received if r["status"] == "resolved"][-1]
            assert {a["status"] for a in resolved["alerts"]} == {"resolved"}
            notifier.stop()
            await sender
        finally:
            await runner.cleanup()

    asyncio.run(scenario())


def _count(received: list[dict[str, Any]], name: str) -> int:
    got = [r for r in received if r["groupLabels"].get("alertname") == name]
    return len(got[-1]["alerts"]) if got else 0
