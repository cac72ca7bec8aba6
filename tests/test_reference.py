"""The reference binaries start, answer, and are stopped again."""

from __future__ import annotations

import subprocess

from tests.reference import ReferenceProcess


def test_node_exporter_serves_metrics(node_exporter: ReferenceProcess) -> None:
    body = node_exporter.get("/metrics").decode()
    assert "# TYPE node_exporter_build_info gauge" in body


def test_pushgateway_uses_its_temp_persistence_file(pushgateway: ReferenceProcess) -> None:
    assert b"pushgateway_build_info" in pushgateway.get("/metrics")
    cmdline = " ".join(pushgateway.process.args)  # type: ignore[arg-type]
    assert f"--persistence.file={pushgateway.workdir}/pushgateway.state" in cmdline


def test_prometheus_is_ready(prometheus: ReferenceProcess) -> None:
    assert b"Ready" in prometheus.get("/-/ready")
    assert b'"status":"success"' in prometheus.get("/api/v1/status/buildinfo")


def test_alertmanager_is_ready(alertmanager: ReferenceProcess) -> None:
    assert b'"versionInfo"' in alertmanager.get("/api/v2/status")


def test_promtool_runs(promtool: str) -> None:
    out = subprocess.run([promtool, "--version"], capture_output=True, text=True, check=True)
    assert "promtool" in (out.stdout + out.stderr)


def test_reference_is_stopped_after_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.reference import run_reference

    with run_reference(
        "node_exporter", ["--web.listen-address=127.0.0.1:{port}"], tmp_path, "/metrics"
    ) as proc:
        popen = proc.process
    assert popen.poll() is not None
