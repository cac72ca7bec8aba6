"""``promlab load`` end to end: 2 users for ~2 s against the demo app on
loopback (a subprocess: locust patches the stdlib, never in the test process),
its metrics endpoint serving; remote targets refused before anything starts."""

from __future__ import annotations

import re
import socket
import subprocess
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from lab.cli import main

from .conftest import PROCESS_TIMEOUT_S, PROMLAB, REPO, Served


def demo_requests(served: Served) -> float:
    total = 0.0
    for metric in served.demo.registry.collect():
        if metric.name == "http_requests":
            total += sum(s.value for s in metric.samples if s.name == "http_requests_total")
    return total


def test_load_sends_requests_and_serves_locust_metrics(demo_server: Served, tmp_path: Path) -> None:
    stages = tmp_path / "stages.yml"
    stages.write_text("stages:\n  - {duration: 1s, users: 1, spawn_rate: 2}\n"
                      "  - {duration: 5s, users: 2, spawn_rate: 2}\n")  # fmt: skip
    before = demo_requests(demo_server)
    proc = subprocess.Popen(
        [*PROMLAB, "load", "--target", demo_server.url, "--users", "2", "--spawn-rate", "2",
         "--duration", "2s", "--shape", str(stages), "--web.listen-address", "127.0.0.1:0"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        url = None
        for line in proc.stderr:  # ends when the process does (bounded by --duration)
            if m := re.search(r"locust metrics at (\S+)", line):
                url = m.group(1)
                break
        assert url is not None and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=30) as reply:
            text = reply.read().decode()
        assert "# TYPE locust_users gauge" in text
        assert "locust_runner_state" in text
        out, err = proc.communicate(timeout=PROCESS_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    sent = int(re.search(r"requests: (\d+)", out).group(1))  # type: ignore[union-attr]
    assert sent > 0
    assert demo_requests(demo_server) >= before + sent


def test_remote_targets_are_refused_before_anything_starts() -> None:
    result = CliRunner().invoke(
        main, ["load", "--target", "http://10.1.2.3:8080", "--duration", "1s"]
    )
    assert result.exit_code == 1
    assert "refusing to send load to '10.1.2.3'" in result.output
    assert "--allow-remote" in result.output
    # The refusal came before gevent could patch this (the test) process.
    assert socket.socket.__module__ == "socket"


def test_duration_is_required() -> None:
    result = CliRunner().invoke(main, ["load", "--target", "http://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "--duration" in result.output
