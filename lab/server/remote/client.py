"""The remote-write HTTP client: one POST per batch, the response classified.

2xx is success. 5xx, network errors and timeouts are recoverable (the
sender retries with backoff); 429 is recoverable only with
``retry_on_http_429`` (its ``Retry-After`` is honoured); any other status is
unrecoverable and the batch is dropped, as Prometheus does.
"""

from __future__ import annotations

import contextlib

import aiohttp

from lab.server.remote.codec import (
    CONTENT_ENCODING,
    CONTENT_TYPE,
    WRITE_VERSION,
    WRITE_VERSION_HEADER,
)
from lab.server.remote.config import RemoteWriteConfig, auth_headers
from lab.server.remote.errors import RecoverableSendError, UnrecoverableSendError

USER_AGENT = "promlab-remote-write/0.1"


class WriteClient:
    """Posts compressed ``WriteRequest`` bodies to one endpoint."""

    def __init__(self, config: RemoteWriteConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._headers = {
            **dict(config.headers),
            **auth_headers(config.basic_auth, config.bearer_token),
            "Content-Encoding": CONTENT_ENCODING,
            "Content-Type": CONTENT_TYPE,
            WRITE_VERSION_HEADER: WRITE_VERSION,
            "User-Agent": USER_AGENT,
        }

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.config.remote_timeout_ms / 1000)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def store(self, body: bytes) -> None:
        """Send one body; raises ``RecoverableSendError``/``UnrecoverableSendError``."""
        session = self._get_session()
        try:
            async with session.post(self.config.url, data=body, headers=self._headers) as resp:
                if 200 <= resp.status < 300:
                    return
                text = (await resp.text(errors="replace"))[:512].strip()
                status = resp.status
                retry_after = _retry_after(resp.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RecoverableSendError(f"sending to {self.config.url}: {exc!r}") from None
        message = f"server returned HTTP status {status}: {text}"
        if status >= 500 or (status == 429 and self.config.queue_config.retry_on_http_429):
            raise RecoverableSendError(message, status, retry_after)
        raise UnrecoverableSendError(message, status)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(float(value), 0.0)
    return None
