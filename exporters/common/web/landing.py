"""The landing page at ``/``, like exporter-toolkit's: name, description,
version and links (the telemetry path first)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

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

    def handler(self) -> Callable[[web.Request], Awaitable[web.Response]]:
        body = self.html()

        async def landing(request: web.Request) -> web.Response:
            # exporter-toolkit answers 404 below "/", so typos do not look served.
            if request.path != "/":
                raise web.HTTPNotFound()
            return web.Response(text=body, content_type="text/html", charset="utf-8")

        return landing
