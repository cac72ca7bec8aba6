"""Rules and alerting in ``promlab server`` end to end: rule files from the
configuration, ``/api/v1/rules`` and ``/api/v1/alerts`` in Prometheus's shapes
(compared with the real Prometheus evaluating the same file), delivery to the
real Alertmanager, reload with a bad rule file, for-state restore at start.

Every wait polls a state with a deadline; nothing asserts on durations."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from lab.model.labels import Labels
from lab.server.app import PromlabServer, ServerOptions
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.inprocess import Running, running_server
from tests.loopback import serve
from tests.reference import ReferenceProcess

POLL_S = 30.0

#: Alerts over data and over constants, so the real Prometheus (no data) and
#: promlab fire the same ``Const`` alert for the shape comparison.
RULES = """\
groups:
  - name: lab
    interval: 1s
    rules:
      - alert: Const
        expr: label_replace(vector(3), "instance", "i1", "", "") > 1
        labels: {severity: page}
        annotations: {summary: "value {{ $value }} on {{ $labels.instance }}"}
      - alert: Waiting
        expr: vector(1)
        for: 1h
      - record: job:demo_up:sum
        expr: sum by (job) (demo_up)
  - name: down
    interval: 1s
    rules:
      - alert: Down
        expr: demo_up == 0
        annotations: {summary: "{{ $labels.instance }} is down"}
"""


def wait_for(what: str, fn: Callable[[], Any]) -> Any:
    """Poll ``fn`` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + POLL_S
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {POLL_S}s waiting for {what}")
        time.sleep(0.05)


def _storage() -> MemoryStorage:
    """``demo_up`` around now (the rules evaluate on the real clock)."""
    st = MemoryStorage()
    now = int(time.time() * 1000)
    ts = list(range(now - 120_000, now + 3_600_000, 15_000))
    for inst, v in (("a", 1.0), ("b", 0.0)):
        st.add_series(Labels.of(__name__="demo_up", job="demo", instance=inst), ts, [v] * len(ts))
    return st


@contextlib.contextmanager
def start_server(config: Path, storage: Any = None, **kw: Any) -> Iterator[Running]:
    options = ServerOptions(
        config_file=str(config), listen_addresses=("127.0.0.1:0",), enable_lifecycle=True, **kw
    )
    with running_server(PromlabServer(options, storage=storage)) as running:
        yield running


def _config(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "lab.rules.yml").write_text(RULES)
    path = tmp_path / "prometheus.yml"
    path.write_text(
        "global:\n  evaluation_interval: 1s\n  external_labels: {cluster: lab}\n"
        "rule_files: ['*.rules.yml']\n" + extra
    )
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Running]:
    with start_server(_config(tmp_path), _storage()) as running:
        yield running


def _get(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=30) as resp:
        return json.loads(resp.read())


def _firing(base: str, name: str) -> list[dict[str, Any]]:
    alerts = _get(base, "/api/v1/alerts")["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == name and a["state"] == "firing"]


def test_rules_and_alerts_over_data(server: Running) -> None:
    base = server.client.base
    [down] = wait_for("Down firing", lambda: _firing(base, "Down"))
    assert down["labels"] == {"alertname": "Down", "job": "demo", "instance": "b"}
    assert down["annotations"] == {"summary": "b is down"} and down["value"] == "0e+00"
    # pending with for: 1h, listed by /alerts too
    [waiting] = wait_for("Waiting listed", lambda: _named(base, "Waiting"))
    assert waiting["state"] == "pending"
    # the recording rule's output is in the storage
    result = wait_for(
        "job:demo_up:sum",
        lambda: _get(base, "/api/v1/query?query=job:demo_up:sum")["data"]["result"],
    )
    assert result[0]["metric"] == {"__name__": "job:demo_up:sum", "job": "demo"}
    # filters
    only = _get(base, "/api/v1/rules?type=record")["data"]["groups"]
    assert [(g["name"], [r["name"] for r in g["rules"]]) for g in only] == [
        ("lab", ["job:demo_up:sum"])
    ]
    lean = _get(base, "/api/v1/rules?rule_group[]=down&exclude_alerts=true")["data"]["groups"]
    assert [g["name"] for g in lean] == ["down"] and "alerts" not in lean[0]["rules"][0]
    bad = server.client.get("/api/v1/rules", {"type": "x"})
    assert bad.status == 400
    assert bad.json()["error"] == 'invalid parameter "type": not supported value "x"'
    assert _get(base, "/api/v1/alertmanagers")["data"] == {
        "activeAlertmanagers": [], "droppedAlertmanagers": [],
    }  # fmt: skip


def _shape(obj: Any) -> Any:
    """The JSON's structure: keys and value types, volatile values dropped."""
    if isinstance(obj, dict):
        return {k: _shape(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [_shape(v) for v in obj]
    return type(obj).__name__


def _const_only(doc: dict[str, Any]) -> dict[str, Any]:
    group = next(g for g in doc["groups"] if g["name"] == "lab")
    return {**group, "rules": [r for r in group["rules"] if r["name"] == "Const"]}


@pytest.mark.reference
def test_shapes_match_prometheus(
    tmp_path: Path, prometheus_config: Path, request: pytest.FixtureRequest
) -> None:
    (prometheus_config.parent / "lab.rules.yml").write_text(RULES)
    prometheus_config.write_text(
        "global:\n  evaluation_interval: 1s\n  external_labels: {cluster: lab}\n"
        f"rule_files: ['{prometheus_config.parent}/lab.rules.yml']\n"
    )
    prom: ReferenceProcess = request.getfixturevalue("prometheus")
    (tmp_path / "ours").mkdir()
    with start_server(_config(tmp_path / "ours"), _storage()) as running:
        ours = running.client.base
        theirs_alert = wait_for("Prometheus fires Const", lambda: _firing(prom.url, "Const"))
        ours_alert = wait_for("promlab fires Const", lambda: _firing(ours, "Const"))
        for a in (theirs_alert, ours_alert):
            a[0]["activeAt"] = "t"
        assert ours_alert == theirs_alert
        assert ours_alert[0]["annotations"] == {"summary": "value 3 on i1"}
        assert ours_alert[0]["value"] == "3e+00"
        theirs = _const_only(_get(prom.url, "/api/v1/rules")["data"])
        ours_rules = _const_only(_get(ours, "/api/v1/rules")["data"])
        # 2.42 has no keepFiringSince / exclude_alerts; the shape is the same
        assert _shape(ours_rules) == _shape(theirs)
        for doc in (theirs, ours_rules):
            doc.pop("file"), doc.pop("evaluationTime"), doc.pop("lastEvaluation")
            (rule,) = doc["rules"]
            for key in ("evaluationTime", "lastEvaluation"):
                rule.pop(key)
            rule["alerts"][0]["activeAt"] = "t"
        assert ours_rules == theirs


@pytest.mark.reference
def test_delivery_to_alertmanager(tmp_path: Path, alertmanager: ReferenceProcess) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    with serve(app) as hook_url:
        (alertmanager.workdir / "alertmanager.yml").write_text(
            "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n"
            "  group_interval: 1s\n  repeat_interval: 1h\n"
            f"receivers:\n- name: hook\n  webhook_configs:\n  - url: {hook_url}/hook\n"
        )
        req = urllib.request.Request(alertmanager.url + "/-/reload", method="POST")
        urllib.request.urlopen(req, timeout=10).close()
        am = alertmanager.url.removeprefix("http://")
        config = _config(
            tmp_path,
            f"alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n",
        )
        with start_server(config, _storage(), external_url="http://lab.example:9090/") as running:
            base = running.client.base
            assert _get(base, "/api/v1/alertmanagers")["data"] == {
                "activeAlertmanagers": [{"url": f"http://{am}/api/v2/alerts"}],
                "droppedAlertmanagers": [],
            }

            def down() -> list[dict[str, Any]]:
                return [r for r in received if r["groupLabels"] == {"alertname": "Down"}]

            [first, *_] = wait_for("the Down notification", down)
            assert first["status"] == "firing"
            [alert] = first["alerts"]
            assert alert["labels"] == {
                "alertname": "Down", "cluster": "lab", "instance": "b", "job": "demo",
            }  # fmt: skip
            assert alert["annotations"] == {"summary": "b is down"}
            assert alert["generatorURL"].startswith("http://lab.example:9090/graph?g0.expr=")
            # pending alerts are not sent
            assert not any(r["groupLabels"] == {"alertname": "Waiting"} for r in received)


def test_reload_with_a_bad_rule_file_keeps_rules_and_config(
    tmp_path: Path, server: Running
) -> None:
    base, client = server.client.base, server.client
    [before] = wait_for("Down firing", lambda: _firing(base, "Down"))
    config_before = client.get("/api/v1/status/config").json()["data"]["yaml"]
    (tmp_path / "lab.rules.yml").write_text(RULES.replace("expr: vector(1)", "expr: vector(("))
    (tmp_path / "prometheus.yml").write_text(
        (tmp_path / "prometheus.yml").read_text().replace("cluster: lab", "cluster: new")
    )
    reply = client.post("/-/reload")
    assert reply.status == 500
    assert reply.text == (
        "failed to reload config: one or more errors occurred while applying the new "
        f'configuration (--config.file="{tmp_path / "prometheus.yml"}")\n'
    )
    assert client.get("/api/v1/status/config").json()["data"]["yaml"] == config_before
    info = client.get("/api/v1/status/runtimeinfo").json()["data"]
    assert info["reloadConfigSuccess"] is False
    names = [r["name"] for g in _get(base, "/api/v1/rules")["data"]["groups"] for r in g["rules"]]
    assert names == ["Const", "Waiting", "job:demo_up:sum", "Down"]

    # A good file again: reloaded, and the unchanged alert keeps its state.
    (tmp_path / "lab.rules.yml").write_text(
        RULES + "      - record: extra\n        expr: vector(2)\n"
    )
    assert client.post("/-/reload").status == 200
    groups = _get(base, "/api/v1/rules")["data"]["groups"]
    assert [r["name"] for r in groups[1]["rules"]] == ["Down", "extra"]
    [after] = _firing(base, "Down")
    assert after["activeAt"] == before["activeAt"]
    assert after["labels"] == before["labels"]


def test_for_state_is_restored_at_start(tmp_path: Path) -> None:
    """A ``for: 1h`` alert pending for 30 minutes before a restart (its
    ``ALERTS_FOR_STATE`` series in the storage) keeps its progress: activeAt
    comes from the stored state, not from the first evaluation."""
    storage = _storage()
    now = int(time.time() * 1000)
    active_s = now / 1000 - 1800
    ts = list(range(now - 60_000, now, 1_000))
    storage.add_series(
        Labels.of(__name__="ALERTS_FOR_STATE", alertname="Waiting"), ts, [active_s] * len(ts)
    )
    started_at = time.time()
    with start_server(_config(tmp_path), storage) as running:
        alerts = wait_for("Waiting pending", lambda: _named(running.client.base, "Waiting"))
        [alert] = alerts
        assert alert["state"] == "pending"
        assert _parse_time(alert["activeAt"]) < started_at - 1000


def _named(base: str, name: str) -> list[dict[str, Any]]:
    alerts = _get(base, "/api/v1/alerts")["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == name]


def _parse_time(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_bad_rule_file_fails_the_start(tmp_path: Path) -> None:
    import asyncio

    from lab.server.app import ServerError

    config = _config(tmp_path)
    (tmp_path / "lab.rules.yml").write_text("groups:\n  - name: g\n    rules:\n      - record: x\n")
    server = PromlabServer(
        ServerOptions(config_file=str(config), listen_addresses=("127.0.0.1:0",)),
        storage=MemoryStorage(),
    )
    with pytest.raises(ServerError, match="one or more errors occurred while applying"):
        asyncio.run(server.start())
    assert server.urls == []  # nothing was served
