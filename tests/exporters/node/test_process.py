"""The node exporter process stays small: it is served by the web layer's
stdlib adapter and renders with the shared renderer, so neither asyncio,
aiohttp nor numpy is ever loaded (~27 MB of RSS together). Checked on the
real command (its mapped shared objects after scrapes) and on its modules."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.exporters.node.helpers import FIXTURE_FLAGS

ROOT = Path(__file__).resolve().parents[3]
#: native parts of the modules that must stay out (what /proc/<pid>/maps shows)
HEAVY_LIBRARIES = ("/numpy/", "/aiohttp/", "/_asyncio.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def node_exporter(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    # no textfile directory: parsing *.prom files is what would bring numpy in
    flags = [f for f in FIXTURE_FLAGS if not f.startswith("--collector.textfile.directory")]
    argv = [
        sys.executable, "-c", "from lab.cli import main; main()", "node-exporter",
        f"--web.listen-address=127.0.0.1:{port}", "--collector.textfile.directory=",
        *flags,
    ]  # fmt: skip
    log = (tmp_path / "log").open("wb")
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"node-exporter did not start:\n{(tmp_path / 'log').read_text()}")
                time.sleep(0.1)
        yield proc, url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


def test_the_running_command_loads_no_asyncio_aiohttp_or_numpy(
    node_exporter: tuple[subprocess.Popen[bytes], str],
) -> None:
    proc, url = node_exporter
    for _ in range(2):
        with urllib.request.urlopen(url + "/metrics", timeout=30) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            text = resp.read().decode()
    assert "node_load1 " in text and 'promhttp_metric_handler_requests_total{code="200"} 1' in text
    maps = Path(f"/proc/{proc.pid}/maps").read_text()
    loaded = {lib for lib in HEAVY_LIBRARIES if lib in maps}
    assert loaded == set(), f"the node exporter process mapped {loaded}"
    proc.terminate()
    assert proc.wait(timeout=20) == 0  # SIGTERM is a clean shutdown


def test_entry_modules_and_a_scrape_import_no_asyncio_aiohttp_or_numpy() -> None:
    code = """
import sys
import lab.cli, lab.cli_node_exporter, exporters.node.serve
from exporters.common.web.threaded import WebRequest
from exporters.node.collectors import DEFAULTS
from exporters.node.exporter import NodeExporter
from exporters.node.serve import node_routes
from tests.exporters.node.helpers import fixture_options, fixture_source

node = NodeExporter(fixture_source(), fixture_options(textfile_directory=""), list(DEFAULTS))
reply = node_routes(node)["/metrics"](WebRequest("GET", "/metrics", {}, {}))
assert reply.status == 200 and b"node_load1 " in reply.body, reply
heavy = sorted({"aiohttp", "asyncio", "numpy"} & set(sys.modules))
assert not heavy, heavy
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
