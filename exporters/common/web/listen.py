"""Listen addresses as the Go exporters spell them, and binding them.

Sockets are bound here (not by the HTTP framework) so that port 0 works and
the bound addresses are known, and so that ``:PORT`` means every interface,
IPv4 and IPv6, as Go's ``net.Listen`` does.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass

from .errors import ListenAddressError


@dataclass(frozen=True)
class ListenAddress:
    """``host`` "" means every interface."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        host, sep, port_text = text.rpartition(":")
        if not sep or not port_text.isdigit() or int(port_text) > 65535:
            raise ListenAddressError(
                f"invalid --web.listen-address {text!r}: expected [HOST]:PORT, e.g. ':9100'"
            )
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise ListenAddressError(
                f"invalid --web.listen-address {text!r}: write IPv6 hosts in brackets, "
                "e.g. '[::1]:9100'"
            )
        return cls(host, int(port_text))


def bind(address: ListenAddress) -> socket.socket:
    """A listening, non-blocking socket for ``address``; "" binds IPv6+IPv4
    where possible."""
    try:
        if address.host == "" and socket.has_ipv6:
            with contextlib.suppress(OSError):
                return _listen(socket.AF_INET6, ("::", address.port), dual=True)
        host = address.host or "0.0.0.0"
        infos = socket.getaddrinfo(host, address.port, type=socket.SOCK_STREAM)
        family, _, _, _, sockaddr = infos[0]
        return _listen(family, sockaddr, dual=False)
    except OSError as exc:
        raise ListenAddressError(
            f"cannot listen on {address.host or '*'}:{address.port}: {exc.strerror or exc}"
        ) from None


def _listen(family: int, sockaddr: tuple[object, ...], *, dual: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if dual:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(sockaddr)
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket, scheme: str) -> str:
    """The URL a client on this host reaches ``sock`` at."""
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("::", "0.0.0.0") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"{scheme}://{shown}:{port}"
