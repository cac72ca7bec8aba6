"""What ``--web.config.file`` enforces on every request, whatever serves it:
basic auth (bcrypt, with a cache of verdicts) and allowed client SANs.

``Guard(config)`` answers "may this request through?" as ``None`` or the
``Reply`` to send instead (401 with ``WWW-Authenticate: Basic``, 403). The
adapters call it with the request's ``Authorization`` header and the peer
certificate (``ssl.SSLSocket.getpeercert()``'s dict).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

import bcrypt

from .config import WebConfig
from .reply import Reply

_CACHE_SIZE: Final = 1024
UNAUTHORIZED: Final = Reply.text(401, "Unauthorized\n", {"WWW-Authenticate": "Basic"})
SAN_REFUSED: Final = Reply.text(403, "client certificate SAN not allowed\n")


class BasicAuth:
    """Checks ``Authorization: Basic`` against bcrypt hashes.

    bcrypt is deliberately slow (tens of ms at cost 10), far slower than a
    scrape, so verdicts are cached (as exporter-toolkit does) keyed by a
    SHA-256 of user, password and hash, never the password itself. Thread-safe:
    the stdlib adapter checks in request threads, the aiohttp one in a worker.
    """

    def __init__(self, users: Mapping[str, bytes]) -> None:
        self.users = dict(users)
        # Checked for unknown users so that the time a 401 takes does not tell
        # whether the user exists (as exporter-toolkit does); same cost as theirs.
        cost = int(next(iter(self.users.values()), b"$2b$10$")[4:6] or b"10")
        self._dummy = bcrypt.hashpw(b"promlab-dummy", bcrypt.gensalt(cost))
        self._cache: OrderedDict[bytes, bool] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, header: str | None) -> bool | None:
        """The verdict for ``header`` if known without bcrypt, else None."""
        credentials = parse_basic(header)
        if credentials is None:
            return False
        with self._lock:
            return self._cache.get(self._key(*credentials))

    def check(self, header: str | None) -> bool:
        """Whether ``header`` carries valid credentials (may run bcrypt: slow)."""
        credentials = parse_basic(header)
        if credentials is None:
            return False
        user, password = credentials
        key = self._key(user, password)
        with self._lock:
            verdict = self._cache.get(key)
        if verdict is None:
            hashed = self.users.get(user, self._dummy)
            verdict = bcrypt.checkpw(password.encode(), hashed) and user in self.users
            with self._lock:
                self._cache[key] = verdict
                if len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return verdict

    def _key(self, user: str, password: str) -> bytes:
        hashed = self.users.get(user, self._dummy)
        return hashlib.sha256(b"\0".join((user.encode(), password.encode(), hashed))).digest()


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` header, or None."""
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


def peer_sans(cert: Mapping[str, Any] | None) -> set[str]:
    """The subjectAltName values of a peer certificate (IPs normalised)."""
    sans: set[str] = set()
    for kind, value in (cert or {}).get("subjectAltName", ()):
        if kind == "IP Address":
            value = str(ipaddress.ip_address(value.strip()))
        sans.add(value)
    return sans


class Guard:
    """The per-request checks ``config`` asks for; ``active`` is False without any."""

    def __init__(self, config: WebConfig) -> None:
        tls = config.tls
        self.allowed_sans = frozenset(tls.client_allowed_sans) if tls is not None else frozenset()
        self.auth = BasicAuth(config.basic_auth_users) if config.basic_auth_users else None
        self.active = bool(self.allowed_sans) or self.auth is not None

    def check_sans(self, peercert: Mapping[str, Any] | None) -> Reply | None:
        if self.allowed_sans and not peer_sans(peercert) & self.allowed_sans:
            return SAN_REFUSED
        return None

    def check_auth(self, authorization: str | None) -> Reply | None:
        """Slow on a cache miss (bcrypt): adapters on an event loop use a thread."""
        if self.auth is not None and not self.auth.check(authorization):
            return UNAUTHORIZED
        return None

    def check(self, authorization: str | None, peercert: Mapping[str, Any] | None) -> Reply | None:
        """Both checks, SANs first (no bcrypt for a refused certificate)."""
        return self.check_sans(peercert) or self.check_auth(authorization)
