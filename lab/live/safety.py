"""The lab's loopback-only default for anything that sends traffic.

Standard library only, so ``promlab load`` can refuse a target before it
imports (and patches) anything. Host names other than ``localhost`` are not
resolved to decide: resolving alone would send a DNS query off the machine.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import UnsafeTargetError


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1`` (no resolution)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_target(url: str, *, allow_remote: bool = False) -> str:
    """``url`` without a trailing slash if it may be loaded; else
    ``UnsafeTargetError`` naming the host and the flag that overrides."""
    parts = urlsplit(url)
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - validates the port (ValueError when out of range)
    except ValueError as exc:
        raise UnsafeTargetError(f"--target {url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeTargetError(f"--target must be an http(s) URL with a host, got {url!r}")
    if not allow_remote and not is_loopback(host):
        raise UnsafeTargetError(
            f"refusing to send load to {host!r}: the lab only loads loopback targets "
            "(localhost, 127.0.0.0/8, ::1) by default; pass --allow-remote if you own "
            "that host and mean it"
        )
    return url.rstrip("/")
