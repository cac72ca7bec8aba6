"""Run an aiohttp application on a loopback port in a background thread, so
tests talk to it over real HTTP with a plain blocking client (and the same
code path as a real client: routing, form parsing, headers)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

CLIENT_TIMEOUT_S = 30.0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class Client:
    def __init__(self, base: str) -> None:
        self.base = base

    def request(
        self,
        path: str,
        params: dict[str, Any] | list[tuple[str, str]] | None = None,
        *,
        method: str = "GET",
        form: dict[str, Any] | list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = self.base + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params, doseq=True)
        data = None
        hdrs = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form, doseq=True).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=CLIENT_TIMEOUT_S) as resp:
                return Reply(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers), exc.read())

    def get(self, path: str, params: Any = None, **kw: Any) -> Reply:
        return self.request(path, params, **kw)

    def post(self, path: str, form: Any = None, **kw: Any) -> Reply:
        return self.request(path, method="POST", form=form if form is not None else {}, **kw)


@contextlib.contextmanager
def serve(make_app: Callable[[], web.Application]) -> Iterator[Client]:
    """Serve ``make_app()`` (built inside the server's loop) until the block ends."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        state["port"] = server.sockets[0].getsockname()[1]
        state["runner"] = runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # surface start-up failures to the test
            state["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.run_until_complete(state["runner"].cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="api-test-server", daemon=True)
    thread.start()
    if not started.wait(CLIENT_TIMEOUT_S):
        raise RuntimeError("test server did not start")
    if "error" in state:
        raise state["error"]
    try:
        yield Client(f"http://127.0.0.1:{state['port']}")
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLIENT_TIMEOUT_S)
