"""``promlab server`` as a user runs it: a subprocess with Prometheus's flags."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from lab.cli import main
from tests.reference import free_port

START_LIMIT_S = 30.0


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        body: bytes = resp.read()
        return body


def test_server_help_lists_prometheus_flags() -> None:
    result = CliRunner().invoke(main, ["server", "--help"])
    assert result.exit_code == 0
    for flag in (
        "--config.file",
        "--storage.tsdb.path",
        "--storage.tsdb.retention.time",
        "--storage.tsdb.retention.size",
        "--web.listen-address",
        "--web.enable-lifecycle",
        "--web.enable-admin-api",
        "--web.enable-remote-write-receiver",
        "--query.timeout",
        "--query.max-samples",
        "--query.lookback-delta",
        "--web.config.file",
        "--web.external-url",
        "--shard",
        "--total-shards",
        "--shard-mode",
        "--scaling.config-file",
    ):
        assert flag in result.output


def test_bad_flag_values_are_refused() -> None:
    result = CliRunner().invoke(main, ["server", "--query.timeout=5x"])
    assert result.exit_code == 2
    assert "not a valid duration" in result.output
    result = CliRunner().invoke(main, ["server", "--storage.tsdb.retention.size=12XB"])
    assert result.exit_code == 2
    result = CliRunner().invoke(main, ["server", "--shard=3", "--total-shards=3"])
    assert result.exit_code == 2
    assert "--shard" in result.output and "must be in [0, 2]" in result.output


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["server", f"--config.file={tmp_path / 'nope.yml'}", f"--storage.tsdb.path={tmp_path}"],
    )
    assert result.exit_code == 1
    assert "couldn't load configuration" in result.output


def test_missing_scaling_config_file_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {}\n")
    result = CliRunner().invoke(
        main,
        [
            "server",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--scaling.config-file={tmp_path / 'nope.yml'}",
        ],
    )
    assert result.exit_code == 1
    assert "--scaling.config-file: cannot read scaling metrics" in result.output


def test_server_runs_serves_and_quits(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  external_labels:\n    site: lab\n")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "server",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--web.enable-remote-write-receiver",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_LIMIT_S
        while True:
            try:
                assert _get(base + "/-/ready") == b"Prometheus Server is Ready.\n"
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not become ready"
                time.sleep(0.1)
        answer = json.loads(_get(base + "/api/v1/query?query=vector(1)&time=10"))
        assert answer["data"]["result"] == [{"metric": {}, "value": [10, "1"]}]
        flags = json.loads(_get(base + "/api/v1/status/flags"))["data"]
        assert flags["web.enable-remote-write-receiver"] == "true"
        assert (flags["shard"], flags["total-shards"], flags["shard-mode"]) == ("0", "1", "hashmod")
        # SIGHUP reloads the configuration (waited for, not timed).
        config.write_text("global:\n  external_labels:\n    site: reloaded\n")
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + START_LIMIT_S
        while b"reloaded" not in _get(base + "/api/v1/status/config"):
            assert time.monotonic() < deadline, "SIGHUP did not reload the configuration"
            time.sleep(0.1)
        request = urllib.request.Request(base + "/-/quit", method="POST")
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.read() == b"Requesting termination... Goodbye!\n"
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
    assert (tmp_path / "data").is_dir()
