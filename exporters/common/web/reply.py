"""``Reply``: an HTTP answer as data (status, headers, body), what the
framework-agnostic core produces and each adapter (aiohttp, stdlib) writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

TEXT_PLAIN: Final = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Reply:
    """``headers`` include ``Content-Type`` when there is a body."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, status: int, text: str, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status, text.encode(), {"Content-Type": TEXT_PLAIN, **(headers or {})})


#: What Go's ``http.NotFound`` answers (the stdlib adapter's unknown routes).
NOT_FOUND: Final = Reply.text(404, "404 page not found\n")
