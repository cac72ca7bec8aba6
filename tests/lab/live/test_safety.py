"""The loopback-only default (a workplace rule and a lab safety default)."""

from __future__ import annotations

import pytest

from lab.live.errors import UnsafeTargetError
from lab.live.safety import check_target, is_loopback


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/", "http://localhost:8080", "http://127.9.9.9", "http://[::1]:80"],
)
def test_loopback_targets_pass(url: str) -> None:
    assert not check_target(url).endswith("/")


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.5:8080", "http://192.168.56.11", "https://example.com", "http://[2001:db8::1]"],
)
def test_remote_targets_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(UnsafeTargetError, match="--allow-remote"):
        check_target(url)
    assert check_target(url, allow_remote=True) == url


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://127.0.0.1:99999"])
def test_malformed_targets(url: str) -> None:
    with pytest.raises(UnsafeTargetError):
        check_target(url, allow_remote=True)


def test_names_are_not_resolved() -> None:
    # A name that happens to resolve to loopback still needs --allow-remote:
    # deciding would need a DNS query.
    assert not is_loopback("localhost.localdomain")
