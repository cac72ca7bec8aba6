"""The HTTP part of a scrape, behind a one-method interface.

``Scraper.scrape(request) -> ScrapeResponse`` fetches one body: decompressed,
checked against ``body_size_limit``, with its Content-Type. Failures raise
``ScrapeFailedError`` with upstream's texts (``server returned HTTP status
500 Internal Server Error``, ``body size limit exceeded``, ``Get "url": ...``).
The loop applies the timeout.

``HttpScraper`` (aiohttp) is what the server uses, one per scrape pool, built
by ``http_scraper_factory(scrape_config)``; tests pass their own factory.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import aiohttp

from exporters.common.exposition import DecompressionError, decompress
from lab.server.config import ScrapeConfig

from .errors import BodySizeLimitError, ScrapeFailedError

USER_AGENT = "promlab/0.1.0"

_PROTOCOL_MEDIA = {
    "OpenMetricsText1.0.0": "application/openmetrics-text;version=1.0.0",
    "OpenMetricsText0.0.1": "application/openmetrics-text;version=0.0.1",
    "PrometheusText1.0.0": "text/plain;version=1.0.0",
    "PrometheusText0.0.4": "text/plain;version=0.0.4",
}


def accept_header(protocols: tuple[str, ...], escaping: str = "underscores") -> str:
    """As upstream: protocols by falling q, the 1.0.0 ones with ``escaping``,
    then ``*/*``."""
    weight = len(_PROTOCOL_MEDIA) + 1
    parts = []
    for p in protocols:
        media = _PROTOCOL_MEDIA[p]
        if p in ("PrometheusText1.0.0", "OpenMetricsText1.0.0"):
            media += f";escaping={escaping}"
        parts.append(f"{media};q=0.{weight}")
        weight -= 1
    parts.append(f"*/*;q=0.{weight}")
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class ScrapeRequest:
    url: str
    accept: str
    timeout_s: float
    body_size_limit: int = 0  # bytes after decompression; 0 = none
    compression: bool = True


@dataclass(frozen=True, slots=True)
class ScrapeResponse:
    body: bytes
    content_type: str = ""


class Scraper(Protocol):
    async def scrape(self, request: ScrapeRequest) -> ScrapeResponse: ...


@runtime_checkable
class Closable(Protocol):
    async def close(self) -> None: ...


def http_scraper_factory(cfg: ScrapeConfig) -> HttpScraper:
    return HttpScraper(cfg)


def _format_seconds(s: float) -> str:
    return repr(s).removesuffix(".0") if s == int(s) else repr(s)


class HttpScraper:
    """aiohttp client for one scrape config (auth, TLS, redirects)."""

    def __init__(self, cfg: ScrapeConfig) -> None:
        self.cfg = cfg
        self._session: aiohttp.ClientSession | None = None

    def _ssl(self) -> ssl.SSLContext | bool:
        tls = self.cfg.tls_config
        if self.cfg.scheme != "https":
            return True
        ctx = ssl.create_default_context(cafile=tls.ca_file or None, cadata=tls.ca or None)
        if tls.insecure_skip_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if tls.cert_file:
            ctx.load_cert_chain(tls.cert_file, tls.key_file or None)
        return ctx

    def _headers(self, request: ScrapeRequest) -> dict[str, str]:
        headers = {
            "Accept": request.accept,
            "Accept-Encoding": "gzip" if request.compression else "identity",
            "User-Agent": USER_AGENT,
            "X-Prometheus-Scrape-Timeout-Seconds": _format_seconds(request.timeout_s),
        }
        # Secrets in files are re-read on every scrape, as upstream, so rotation works.
        auth = self.cfg.authorization
        if auth is not None:
            creds = auth.credentials
            if auth.credentials_file:
                creds = Path(auth.credentials_file).read_text().strip()
            headers["Authorization"] = f"{auth.type} {creds}"
        return headers

    def _auth(self) -> aiohttp.BasicAuth | None:
        ba = self.cfg.basic_auth
        if ba is None:
            return None
        password = ba.password
        if ba.password_file:
            password = Path(ba.password_file).read_text().strip()
        return aiohttp.BasicAuth(ba.username, password)

    async def scrape(self, request: ScrapeRequest) -> ScrapeResponse:
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=False)
        limit = request.body_size_limit
        try:
            async with self._session.get(
                request.url,
                headers=self._headers(request),
                auth=self._auth(),
                ssl=self._ssl(),
                allow_redirects=self.cfg.follow_redirects,
                proxy=self.cfg.proxy_url or None,
            ) as resp:
                if resp.status != 200:
                    raise ScrapeFailedError(
                        f"server returned HTTP status {resp.status} {resp.reason or ''}".rstrip()
                    )
                encoding = resp.headers.get("Content-Encoding")
                content_type = resp.headers.get("Content-Type", "")
                # A plain body is read only up to the limit; a gzip one is bounded
                # when it is inflated.
                plain_limit = limit if limit and encoding != "gzip" else 0
                raw = await (resp.content.read(plain_limit) if plain_limit else resp.read())
        except (aiohttp.ClientError, OSError, ssl.SSLError) as exc:
            raise ScrapeFailedError(f'Get "{request.url}": {exc}') from exc
        if encoding == "gzip":
            try:
                body = decompress(raw, "gzip", max_bytes=(limit - 1) if limit else None)
            except DecompressionError as exc:
                if limit and "exceeds" in str(exc):
                    raise BodySizeLimitError("body size limit exceeded") from None
                raise ScrapeFailedError(str(exc)) from None
        else:
            body = raw
        # As upstream: reaching the limit (not only passing it) fails the scrape.
        if limit and len(body) >= limit:
            raise BodySizeLimitError("body size limit exceeded")
        return ScrapeResponse(body, content_type)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
