"""Typed ``remote_write`` / ``remote_read`` configuration.

``lab.server.config`` keeps these sections as plain data (already checked for
a non-empty ``url`` and unique ``name``); ``remote_write_configs(config)`` and
``remote_read_configs(config)`` turn them into frozen dataclasses with
Prometheus 2.42's defaults, raising ``RemoteConfigError`` (a
``ConfigValueError``) that names the section and field::

    remote_write[0].queue_config.max_shards: must be a positive integer, got 'x'

Durations are integer milliseconds. Unknown fields are refused, as upstream.
Fields upstream has but the lab does not act on (``metadata_config``,
``send_exemplars``, ``send_native_histograms``, ``sigv4``, ``oauth2``,
``azuread``, ``tls_config``, ``proxy_url``, ``follow_redirects``,
``enable_http2``) are accepted and ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lab.model.labels import Labels
from lab.server.config import Config
from lab.server.config_yaml import parse_duration_ms
from lab.server.remote.errors import RemoteConfigError
from lab.server.scrape.errors import RelabelConfigError
from lab.server.scrape.relabel import RelabelConfig


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Upstream's ``queue_config`` (2.42 defaults)."""

    capacity: int = 2500
    max_shards: int = 200
    min_shards: int = 1
    max_samples_per_send: int = 500
    batch_send_deadline_ms: int = 5_000
    min_backoff_ms: int = 30
    max_backoff_ms: int = 5_000
    retry_on_http_429: bool = False


@dataclass(frozen=True, slots=True)
class BasicAuth:
    username: str = ""
    password: str = field(default="", repr=False)
    password_file: str = ""

    def resolve_password(self) -> str:
        if self.password_file:
            with open(self.password_file, encoding="utf-8") as f:
                return f.read().strip()
        return self.password


@dataclass(frozen=True, slots=True)
class RemoteWriteConfig:
    url: str
    name: str = ""
    remote_timeout_ms: int = 30_000
    headers: tuple[tuple[str, str], ...] = ()
    basic_auth: BasicAuth | None = None
    bearer_token: str = field(default="", repr=False)
    write_relabel_configs: tuple[RelabelConfig, ...] = ()
    queue_config: QueueConfig = field(default_factory=QueueConfig)

    @property
    def hash(self) -> str:
        """A stable id for this endpoint (names its position file), as upstream
        derives queue names from the config hash when ``name`` is unset."""
        key = json.dumps([self.url, self.name], sort_keys=True).encode()
        return hashlib.sha256(key).hexdigest()[:12]

    @property
    def queue_name(self) -> str:
        return self.name or self.hash


@dataclass(frozen=True, slots=True)
class RemoteReadConfig:
    url: str
    name: str = ""
    remote_timeout_ms: int = 60_000
    headers: tuple[tuple[str, str], ...] = ()
    basic_auth: BasicAuth | None = None
    bearer_token: str = field(default="", repr=False)
    read_recent: bool = False
    required_matchers: Labels = field(default_factory=Labels)
    filter_external_labels: bool = True


_IGNORED = frozenset({
    "tls_config", "proxy_url", "follow_redirects", "enable_http2", "oauth2", "sigv4",
    "azuread", "no_proxy", "proxy_from_environment", "proxy_connect_header",
})  # fmt: skip
_WRITE_FIELDS = frozenset({
    "url", "name", "remote_timeout", "headers", "basic_auth", "authorization",
    "bearer_token", "bearer_token_file", "write_relabel_configs", "queue_config",
    "metadata_config", "send_exemplars", "send_native_histograms",
}) | _IGNORED  # fmt: skip
_READ_FIELDS = frozenset({
    "url", "name", "remote_timeout", "headers", "basic_auth", "authorization",
    "bearer_token", "bearer_token_file", "read_recent", "required_matchers",
    "filter_external_labels",
}) | _IGNORED  # fmt: skip
_BASIC_FIELDS = frozenset({"username", "password", "password_file", "username_file"})
_QUEUE_INTS = ("capacity", "max_shards", "min_shards", "max_samples_per_send")
_QUEUE_DURATIONS = ("batch_send_deadline", "min_backoff", "max_backoff")
_QUEUE_FIELDS = frozenset({*_QUEUE_INTS, *_QUEUE_DURATIONS, "retry_on_http_429",
                           "max_retries", "sample_age_limit"})  # fmt: skip
# Headers Prometheus refuses to let a user override (they carry the protocol).
_RESERVED_HEADERS = frozenset({
    "host", "authorization", "content-encoding", "content-length", "content-type",
    "user-agent", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "www-authenticate", "retry-after", "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
})  # fmt: skip


class _Section:
    def __init__(self, data: Mapping[str, Any], where: str, allowed: frozenset[str]) -> None:
        if not isinstance(data, Mapping):
            raise RemoteConfigError(f"{where}: must be a mapping")
        self.data = data
        self.where = where
        for key in data:
            if key not in allowed:
                raise RemoteConfigError(f"{where}: field {key} not found in type config.plain")

    def fail(self, key: str, message: str) -> RemoteConfigError:
        return RemoteConfigError(f"{self.where}.{key}: {message}")

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(key, f"must be a string, got {value!r}")
        return str(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def count(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(key, f"must be a positive integer, got {value!r}")
        return value

    def duration(self, key: str, default_ms: int) -> int:
        if key not in self.data or self.data[key] is None:
            return default_ms
        try:
            return parse_duration_ms(self.text(key))
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def str_map(self, key: str) -> dict[str, str]:
        value = self.data.get(key) or {}
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a mapping of strings")
        return {str(k): str(v) for k, v in value.items()}


def _auth(s: _Section) -> tuple[BasicAuth | None, str]:
    basic: BasicAuth | None = None
    if s.data.get("basic_auth"):
        b = _Section(s.data["basic_auth"], f"{s.where}.basic_auth", _BASIC_FIELDS)
        basic = BasicAuth(b.text("username"), b.text("password"), b.text("password_file"))
        if basic.password and basic.password_file:
            raise s.fail("basic_auth", "at most one of basic_auth password & password_file "
                         "must be configured")  # fmt: skip
    token = s.text("bearer_token")
    if s.data.get("bearer_token_file"):
        with open(s.text("bearer_token_file"), encoding="utf-8") as f:
            token = f.read().strip()
    if s.data.get("authorization"):
        a = _Section(s.data["authorization"], f"{s.where}.authorization",
                     frozenset({"type", "credentials", "credentials_file"}))  # fmt: skip
        if a.text("type", "Bearer").lower() != "bearer":
            raise s.fail("authorization", "only the Bearer type is supported")
        token = a.text("credentials")
    if basic is not None and token:
        raise s.fail("basic_auth", "at most one of basic_auth, oauth2, bearer_token & "
                     "bearer_token_file must be configured")  # fmt: skip
    return basic, token


def _headers(s: _Section) -> tuple[tuple[str, str], ...]:
    headers = s.str_map("headers")
    for name in headers:
        if name.lower() in _RESERVED_HEADERS:
            raise s.fail("headers", f"{name} is a reserved header. It must not be changed")
    return tuple(sorted(headers.items()))


def _url(s: _Section) -> str:
    url = s.text("url")
    if not url.startswith(("http://", "https://")):
        raise s.fail("url", f"unsupported scheme in {url!r} (want http or https)")
    return url


def parse_remote_write(data: Mapping[str, Any], where: str = "remote_write") -> RemoteWriteConfig:
    s = _Section(data, where, _WRITE_FIELDS)
    relabels = []
    for i, rule in enumerate(s.data.get("write_relabel_configs") or ()):
        r = _Section(rule, f"{where}.write_relabel_configs[{i}]",
                     frozenset({"source_labels", "separator", "regex", "modulus",
                                "target_label", "replacement", "action"}))  # fmt: skip
        kwargs: dict[str, Any] = dict(r.data)
        if "source_labels" in kwargs:
            kwargs["source_labels"] = tuple(str(x) for x in kwargs["source_labels"] or ())
        try:
            relabels.append(RelabelConfig.create(**kwargs))
        except (RelabelConfigError, TypeError) as exc:
            raise RemoteConfigError(f"{r.where}: {exc}") from None
    q = _Section(s.data.get("queue_config") or {}, f"{where}.queue_config", _QUEUE_FIELDS)
    d = QueueConfig()
    queue = QueueConfig(
        capacity=q.count("capacity", d.capacity),
        max_shards=q.count("max_shards", d.max_shards),
        min_shards=q.count("min_shards", d.min_shards),
        max_samples_per_send=q.count("max_samples_per_send", d.max_samples_per_send),
        batch_send_deadline_ms=q.duration("batch_send_deadline", d.batch_send_deadline_ms),
        min_backoff_ms=q.duration("min_backoff", d.min_backoff_ms),
        max_backoff_ms=q.duration("max_backoff", d.max_backoff_ms),
        retry_on_http_429=q.flag("retry_on_http_429", d.retry_on_http_429),
    )
    if queue.min_shards > queue.max_shards:
        raise q.fail("min_shards", "must not be greater than max_shards")
    if queue.min_backoff_ms > queue.max_backoff_ms:
        raise q.fail("min_backoff", "must not be greater than max_backoff")
    basic, token = _auth(s)
    return RemoteWriteConfig(
        url=_url(s),
        name=s.text("name"),
        remote_timeout_ms=s.duration("remote_timeout", 30_000),
        headers=_headers(s),
        basic_auth=basic,
        bearer_token=token,
        write_relabel_configs=tuple(relabels),
        queue_config=queue,
    )


def parse_remote_read(data: Mapping[str, Any], where: str = "remote_read") -> RemoteReadConfig:
    s = _Section(data, where, _READ_FIELDS)
    basic, token = _auth(s)
    return RemoteReadConfig(
        url=_url(s),
        name=s.text("name"),
        remote_timeout_ms=s.duration("remote_timeout", 60_000),
        headers=_headers(s),
        basic_auth=basic,
        bearer_token=token,
        read_recent=s.flag("read_recent", False),
        required_matchers=Labels.of(s.str_map("required_matchers")),
        filter_external_labels=s.flag("filter_external_labels", True),
    )


def remote_write_configs(config: Config) -> tuple[RemoteWriteConfig, ...]:
    return tuple(parse_remote_write(d, f"remote_write[{i}]")
                 for i, d in enumerate(config.remote_write))  # fmt: skip


def remote_read_configs(config: Config) -> tuple[RemoteReadConfig, ...]:
    return tuple(parse_remote_read(d, f"remote_read[{i}]")
                 for i, d in enumerate(config.remote_read))  # fmt: skip


def auth_headers(basic: BasicAuth | None, token: str) -> dict[str, str]:
    """The Authorization header for the configured credentials (if any)."""
    if basic is not None:
        import base64

        raw = f"{basic.username}:{basic.resolve_password()}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {}
