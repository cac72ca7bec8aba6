"""``RemoteReadQueryable``: a ``Queryable`` over remote-read endpoints.

Each ``select`` is one remote-read request (SAMPLES response type) per
endpoint; several endpoints are merged by ``lab.server.sharding.merge``.
Label names and values are answered from the selected series (the protocol
has no label API), which is correct but reads the samples too.

The ``Querier`` seam is synchronous (queries run in the API's executor), so
requests use blocking ``http.client`` with one kept-alive connection per
thread and endpoint.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Sequence

from lab.model.matcher import Matcher, MatchType
from lab.server.remote.codec import (
    CONTENT_ENCODING,
    CONTENT_TYPE,
    READ_VERSION,
    READ_VERSION_HEADER,
    ReadQuery,
    decode_read_response,
    encode_read_request,
)
from lab.server.remote.config import RemoteReadConfig, auth_headers
from lab.server.remote.errors import DecodeError, RemoteReadError
from lab.server.storage.interface import Series

_ANY_NAME = Matcher(MatchType.REGEX, "__name__", ".+")


class RemoteReadClient:
    """Blocking remote-read requests to one endpoint (thread-safe)."""

    def __init__(self, config: RemoteReadConfig) -> None:
        self.config = config
        url = urllib.parse.urlsplit(config.url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "localhost"
        self._port = url.port or (443 if self._https else 80)
        self._path = url.path or "/"
        self._headers = {
            **dict(config.headers),
            **auth_headers(config.basic_auth, config.bearer_token),
            "Content-Encoding": CONTENT_ENCODING,
            "Content-Type": CONTENT_TYPE,
            "Accept-Encoding": CONTENT_ENCODING,
            READ_VERSION_HEADER: READ_VERSION,
            "User-Agent": "promlab-remote-read/0.1",
        }
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _conn(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.config.remote_timeout_ms / 1000)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every kept-alive connection (from any thread)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()

    def read(self, queries: Sequence[ReadQuery]) -> list[list[Series]]:
        body = encode_read_request(queries)
        for attempt in (0, 1):
            conn = self._conn()
            try:
                conn.request("POST", self._path, body=body, headers=self._headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._local.conn = None
                with self._lock:
                    if conn in self._all:
                        self._all.remove(conn)
                # A kept-alive connection the server closed: retry once on a new one.
                if attempt:
                    raise RemoteReadError(f"remote read {self.config.url}: {exc}") from None
        if resp.status != 200:
            text = data[:512].decode("utf-8", "replace").strip()
            raise RemoteReadError(
                f"remote read {self.config.url}: server returned HTTP status {resp.status}: {text}"
            )
        try:
            results = decode_read_response(data)
        except DecodeError as exc:
            raise RemoteReadError(f"remote read {self.config.url}: {exc}") from None
        return [[Series(s.labels, s.timestamps, s.values) for s in r] for r in results]


class RemoteReadQueryable:
    """A ``Queryable`` over one remote-read endpoint."""

    def __init__(self, config: RemoteReadConfig | str) -> None:
        if isinstance(config, str):
            config = RemoteReadConfig(url=config)
        self.client = RemoteReadClient(config)

    def querier(self, mint_ms: int, maxt_ms: int) -> RemoteReadQuerier:
        return RemoteReadQuerier(self.client, mint_ms, maxt_ms)

    def close(self) -> None:
        self.client.close()


class RemoteReadQuerier:
    def __init__(self, client: RemoteReadClient, mint_ms: int, maxt_ms: int) -> None:
        self._client = client
        self._mint = mint_ms
        self._maxt = maxt_ms

    def select(self, matchers: Sequence[Matcher]) -> list[Series]:
        cfg = self._client.config
        # required_matchers: this endpoint only holds series with these labels.
        for name, value in cfg.required_matchers:
            if not any(m.type is MatchType.EQUAL and m.name == name and m.value == value
                       for m in matchers):  # fmt: skip
                return []
        (result,) = self._client.read([ReadQuery(self._mint, self._maxt, tuple(matchers))])
        result.sort(key=lambda s: s.labels)
        return result

    def label_names(self, matchers: Sequence[Matcher] = ()) -> list[str]:
        names: set[str] = set()
        for s in self.select(matchers or (_ANY_NAME,)):
            names.update(s.labels.names())
        return sorted(names)

    def label_values(self, name: str, matchers: Sequence[Matcher] = ()) -> list[str]:
        values = {s.labels.get(name) for s in self.select(matchers or (_ANY_NAME,))}
        values.discard("")
        return sorted(values)

    def close(self) -> None:
        pass
