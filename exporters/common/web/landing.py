"""The landing page at ``/``, like exporter-toolkit's: name, description,
version and links (the telemetry path first). Framework-agnostic: ``reply``
is the answer; ``handler()`` wraps it for aiohttp (imported only then)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from .reply import NOT_FOUND, Reply

if TYPE_CHECKING:
    from aiohttp import web


@dataclass(frozen=True)
class Link:
    address: str
    text: str
    description: str = ""


@dataclass(frozen=True)
class LandingPage:
    """What ``/`` shows; ``links`` are relative to the route prefix."""

    name: str
    description: str = ""
    version: str = ""
    links: tuple[Link, ...] = field(default_factory=tuple)

    def html(self) -> str:
        esc = html.escape
        items = "\n".join(
            f'      <li><a href="{esc(link.address)}">{esc(link.text)}</a>'
            + (f" {esc(link.description)}" if link.description else "")
            + "</li>"
            for link in self.links
        )
        version = f"\n    <div>Version: {esc(self.version)}</div>" if self.version else ""
        return (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            '    <meta charset="UTF-8">\n'
            f"    <title>{esc(self.name)}</title>\n  </head>\n  <body>\n"
            f"    <header><h1>{esc(self.name)}</h1></header>\n"
            f"    <p>{esc(self.description)}</p>{version}\n"
            f"    <ul>\n{items}\n    </ul>\n  </body>\n</html>\n"
        )

    def with_metrics_link(self, telemetry_path: str) -> LandingPage:
        """This page with a link to the telemetry path first (what exporters show)."""
        links = (Link(telemetry_path.lstrip("/") or "/", "Metrics"), *self.links)
        return LandingPage(self.name, self.description, self.version, links)

    @cached_property
    def _page(self) -> Reply:
        return Reply(200, self.html().encode(), {"Content-Type": "text/html; charset=utf-8"})

    def reply(self, path: str) -> Reply:
        """The page for ``/``; 404 below it, as exporter-toolkit answers, so
        typos do not look served."""
        return self._page if path == "/" else NOT_FOUND

    def handler(self) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """An aiohttp handler for ``/``."""
        from .server import landing_handler

        return landing_handler(self)
