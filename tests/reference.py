"""Reference implementations (the Debian/upstream Go binaries) as pytest fixtures.

Each fixture starts the real binary on a free loopback port with its state in a
temporary directory, waits until it answers, yields a ``ReferenceProcess`` and
stops it afterwards. Where a binary is missing the test is skipped with the
reason, unless ``PROMLAB_REQUIRE_REFERENCE=1`` (set by ``.ci/run``), in which
case it fails: CI must never pass by skipping the comparison.

Binaries are found by their Debian name or upstream name on PATH, or through
an override variable (``PROMLAB_PROMETHEUS_BIN`` etc.).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: fixture name -> (override variable, candidate executable names)
BINARIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "prometheus": ("PROMLAB_PROMETHEUS_BIN", ("prometheus",)),
    "promtool": ("PROMLAB_PROMTOOL_BIN", ("promtool",)),
    "node_exporter": ("PROMLAB_NODE_EXPORTER_BIN", ("prometheus-node-exporter", "node_exporter")),
    "pushgateway": ("PROMLAB_PUSHGATEWAY_BIN", ("prometheus-pushgateway", "pushgateway")),
    "alertmanager": ("PROMLAB_ALERTMANAGER_BIN", ("prometheus-alertmanager", "alertmanager")),
    # Debian's Prometheus is built without kubernetes_sd; VictoriaMetrics' own
    # implementation of it is the second reference for the Kubernetes SD labels.
    "victoria_metrics": ("PROMLAB_VICTORIA_METRICS_BIN", ("victoria-metrics",)),
}

START_TIMEOUT_S = 20.0


def reference_required() -> bool:
    return os.environ.get("PROMLAB_REQUIRE_REFERENCE", "") not in ("", "0")


def find_binary(kind: str) -> str | None:
    variable, names = BINARIES[kind]
    override = os.environ.get(variable)
    if override:
        return override if Path(override).is_file() else None
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_binary(kind: str) -> str:
    """The binary's path, or skip (fail under PROMLAB_REQUIRE_REFERENCE=1)."""
    path = find_binary(kind)
    if path is None:
        variable, names = BINARIES[kind]
        reason = (
            f"reference binary {kind!r} not found (looked for {', '.join(names)} on PATH "
            f"and ${variable}); install the Debian package or run .ci/run"
        )
        if reference_required():
            pytest.fail(reason + " [PROMLAB_REQUIRE_REFERENCE=1]", pytrace=False)
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReferenceProcess:
    """A running reference binary: ``url`` is its base URL (no trailing slash)."""

    kind: str
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, timeout: float = 10.0) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
            body: bytes = resp.read()
            return body


def _wait_ready(proc: ReferenceProcess, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error = ""
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(
                f"{proc.kind} exited with {proc.process.returncode}:\n{proc.log()[-3000:]}"
            )
        try:
            proc.get(path, timeout=2.0)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = str(exc)
        time.sleep(0.05)
    raise RuntimeError(
        f"{proc.kind} not ready after {START_TIMEOUT_S}s ({last_error}):\n{proc.log()[-3000:]}"
    )


@contextlib.contextmanager
def run_reference(
    kind: str, args_for_port: list[str], workdir: Path, ready_path: str = "/"
) -> Iterator[ReferenceProcess]:
    """Start ``kind`` with ``args_for_port`` (``{port}`` and ``{dir}`` substituted)."""
    binary = require_binary(kind)
    workdir.mkdir(parents=True, exist_ok=True)
    attempts = 3
    for attempt in range(attempts):
        port = free_port()
        log_path = workdir / f"{kind}.log"
        args = [a.format(port=port, dir=workdir) for a in args_for_port]
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                [binary, *args], stdout=log, stderr=subprocess.STDOUT, cwd=workdir
            )
        proc = ReferenceProcess(kind, popen, port, workdir, log_path)
        try:
            _wait_ready(proc, ready_path)
        except RuntimeError:
            stop(proc)
            if attempt == attempts - 1:
                raise
            continue  # most likely the port was taken between probe and bind
        try:
            yield proc
        finally:
            stop(proc)
        return


def stop(proc: ReferenceProcess) -> None:
    if proc.process.poll() is None:
        proc.process.terminate()
        try:
            proc.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.process.kill()
            proc.process.wait(timeout=10)


# --- fixtures -----------------------------------------------------------------


@pytest.fixture
def node_exporter(tmp_path: Path) -> Iterator[ReferenceProcess]:
    """The real node_exporter, default collectors, on a free port."""
    with run_reference(
        "node_exporter", ["--web.listen-address=127.0.0.1:{port}"], tmp_path / "node", "/metrics"
    ) as proc:
        yield proc


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[ReferenceProcess]:
    """The real pushgateway. The Debian build defaults --persistence.file to a
    shared system path, so an explicit temp file is always passed."""
    with run_reference(
        "pushgateway",
        [
            "--web.listen-address=127.0.0.1:{port}",
            "--persistence.file={dir}/pushgateway.state",
            "--web.enable-admin-api",
            "--web.enable-lifecycle",
        ],
        tmp_path / "pushgateway",
        "/-/ready",
    ) as proc:
        yield proc


@pytest.fixture
def prometheus_config(tmp_path: Path) -> Path:
    """The config file the ``prometheus`` fixture starts with; tests may rewrite it
    before requesting ``prometheus``."""
    path = tmp_path / "prometheus" / "prometheus.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("global:\n  scrape_interval: 15s\n")
    return path


@pytest.fixture
def prometheus(tmp_path: Path, prometheus_config: Path) -> Iterator[ReferenceProcess]:
    """The real Prometheus server with its TSDB in a temp dir."""
    with run_reference(
        "prometheus",
        [
            f"--config.file={prometheus_config}",
            "--storage.tsdb.path={dir}/data",
            "--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--web.enable-admin-api",
            "--web.enable-remote-write-receiver",
        ],
        tmp_path / "prometheus",
        "/-/ready",
    ) as proc:
        yield proc


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[ReferenceProcess]:
    """The real Alertmanager, clustering off, with a config tests may replace
    through ``<workdir>/alertmanager.yml`` and /-/reload."""
    workdir = tmp_path / "alertmanager"
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(
        "route:\n  receiver: default\nreceivers:\n  - name: default\n"
    )
    with run_reference(
        "alertmanager",
        [
            "--config.file={dir}/alertmanager.yml",
            "--storage.path={dir}/data",
            "--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        workdir,
        "/-/ready",
    ) as proc:
        yield proc


@pytest.fixture
def promtool() -> str:
    """Path of the real promtool."""
    return require_binary("promtool")
