"""What ``--web.config.file`` enforces on every request: basic auth, allowed
client SANs and the configured response headers (aiohttp middleware/signal)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ipaddress
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import bcrypt
from aiohttp import web

from .config import WebConfig

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CACHE_SIZE: Final = 1024


class BasicAuth:
    """Checks ``Authorization: Basic`` against bcrypt hashes.

    bcrypt is deliberately slow (tens of ms at cost 10), far slower than a
    scrape, so verdicts are cached keyed by a SHA-256 of user, password and
    hash, never the password itself; checks run in a worker thread so the
    event loop keeps serving.
    """

    def __init__(self, users: Mapping[str, bytes]) -> None:
        self.users = dict(users)
        # Checked for unknown users so that the time a 401 takes does not tell
        # whether the user exists (as exporter-toolkit does); same cost as theirs.
        cost = int(next(iter(self.users.values()), b"$2b$10$")[4:6] or b"10")
        self._dummy = bcrypt.hashpw(b"promlab-dummy", bcrypt.gensalt(cost))
        self._cache: OrderedDict[bytes, bool] = OrderedDict()

    def _verify(self, user: str, password: str) -> bool:
        hashed = self.users.get(user, self._dummy)
        key = hashlib.sha256(b"\0".join((user.encode(), password.encode(), hashed))).digest()
        verdict = self._cache.get(key)
        if verdict is None:
            verdict = bcrypt.checkpw(password.encode(), hashed) and user in self.users
            self._cache[key] = verdict
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return verdict

    async def check(self, header: str | None) -> bool:
        credentials = _parse_basic(header)
        if credentials is None:
            return False
        return await asyncio.to_thread(self._verify, *credentials)


def _parse_basic(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def security_middlewares(config: WebConfig) -> list[Any]:
    """The middlewares ``config`` calls for (empty without auth or SAN rules)."""
    middlewares: list[Any] = []
    if config.tls is not None and config.tls.client_allowed_sans:
        allowed = set(config.tls.client_allowed_sans)

        @web.middleware
        async def check_sans(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not _peer_sans(request) & allowed:
                return web.Response(status=403, text="client certificate SAN not allowed\n")
            return await handler(request)

        middlewares.append(check_sans)
    if config.basic_auth_users:
        auth = BasicAuth(config.basic_auth_users)

        @web.middleware
        async def basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not await auth.check(request.headers.get("Authorization")):
                return web.Response(
                    status=401, text="Unauthorized\n", headers={"WWW-Authenticate": "Basic"}
                )
            return await handler(request)

        middlewares.append(basic_auth)
    return middlewares


def _peer_sans(request: web.Request) -> set[str]:
    cert = request.transport.get_extra_info("peercert") if request.transport else None
    sans: set[str] = set()
    for kind, value in (cert or {}).get("subjectAltName", ()):
        if kind == "IP Address":
            value = str(ipaddress.ip_address(value.strip()))
        sans.add(value)
    return sans


def header_signal(
    headers: Mapping[str, str],
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An ``on_response_prepare`` hook that adds ``headers`` to every response,
    errors included (a middleware would miss raised ``HTTPException``s)."""
    fixed = dict(headers)

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in fixed.items():
            response.headers[name] = value

    return add_headers
