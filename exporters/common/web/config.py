"""``--web.config.file``: exporter-toolkit's format, validated at start-up.

The file (YAML) has three optional sections, as in exporter-toolkit::

    tls_server_config:
      cert_file: server.crt        # or cert: <PEM text>
      key_file: server.key         # or key: <PEM text>
      client_auth_type: RequireAndVerifyClientCert
      client_ca_file: ca.crt       # or client_ca: <PEM text>
      client_allowed_sans: [client.example]
      min_version: TLS12           # TLS10 | TLS11 | TLS12 | TLS13
      max_version: TLS13
      cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
      curve_preferences: [X25519]  # validated; see below
      prefer_server_cipher_suites: true
    http_server_config:
      http2: true                  # accepted; aiohttp serves HTTP/1.1
      headers: {X-Frame-Options: deny}
    basic_auth_users:
      alice: $2b$12$...            # bcrypt hash

Differences from exporter-toolkit, all because of Python's ``ssl``:
``RequestClientCert`` and ``RequireAnyClientCert`` (ask for a certificate but
do not verify it) are refused with a clear error; ``curve_preferences`` is
validated but only a single curve can be applied; the file is read once at
start-up (the toolkit re-reads it per request); relative paths are relative to
the file's directory, as in the toolkit.
"""

from __future__ import annotations

import os
import re
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from .errors import WebConfigError

_TLS_VERSIONS: Final = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}

#: Go's cipher suite names -> OpenSSL's. Like Go, they only apply up to TLS 1.2.
_CIPHERS: Final = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256": "AES128-SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": "ECDHE-ECDSA-AES128-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": "ECDHE-RSA-AES128-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}
_CURVES: Final = {
    "CurveP256": "prime256v1",
    "CurveP384": "secp384r1",
    "CurveP521": "secp521r1",
    "X25519": "X25519",
}
_CLIENT_AUTH: Final = (
    "NoClientCert",
    "RequestClientCert",
    "RequireAnyClientCert",
    "VerifyClientCertIfGiven",
    "RequireAndVerifyClientCert",
)
#: The headers exporter-toolkit lets a user set, with the values it accepts.
_HEADERS: Final[dict[str, re.Pattern[str] | None]] = {
    "Strict-Transport-Security": None,
    "X-Content-Type-Options": re.compile(r"nosniff"),
    "X-Frame-Options": re.compile(r"(?i)deny|sameorigin"),
    "X-XSS-Protection": None,
    "Content-Security-Policy": None,
}
_BCRYPT: Final = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
_SECTIONS: Final = {"tls_server_config", "http_server_config", "basic_auth_users"}
_TLS_FIELDS: Final = {
    "cert",
    "key",
    "client_ca",
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "client_allowed_sans",
    "min_version",
    "max_version",
    "cipher_suites",
    "curve_preferences",
    "prefer_server_cipher_suites",
}


@dataclass(frozen=True)
class TLSConfig:
    """A validated ``tls_server_config``: PEM paths resolved or PEM text inline."""

    cert_file: Path | None
    key_file: Path | None
    cert: str | None = None
    key: str | None = None
    client_auth_type: str = "NoClientCert"
    client_ca_file: Path | None = None
    client_ca: str | None = None
    client_allowed_sans: tuple[str, ...] = ()
    min_version: str = "TLS12"
    max_version: str | None = None
    cipher_suites: tuple[str, ...] = ()
    curve_preferences: tuple[str, ...] = ()
    prefer_server_cipher_suites: bool = True

    def ssl_context(self) -> ssl.SSLContext:
        """A server context for these settings (loads and checks the PEM files)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            if self.cert_file is not None and self.key_file is not None:
                ctx.load_cert_chain(self.cert_file, self.key_file)
            else:
                _load_inline_chain(ctx, self.cert or "", self.key or "")
            ctx.minimum_version = _TLS_VERSIONS[self.min_version]
            if self.max_version:
                ctx.maximum_version = _TLS_VERSIONS[self.max_version]
            if self.cipher_suites:
                ctx.set_ciphers(":".join(_CIPHERS[c] for c in self.cipher_suites))
            if len(self.curve_preferences) == 1:
                ctx.set_ecdh_curve(_CURVES[self.curve_preferences[0]])
            if self.prefer_server_cipher_suites:
                ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
            if self.client_auth_type != "NoClientCert":
                if self.client_ca_file is not None:
                    ctx.load_verify_locations(cafile=self.client_ca_file)
                elif self.client_ca is not None:
                    ctx.load_verify_locations(cadata=self.client_ca)
                required = self.client_auth_type == "RequireAndVerifyClientCert"
                ctx.verify_mode = ssl.CERT_REQUIRED if required else ssl.CERT_OPTIONAL
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise WebConfigError(f"tls_server_config: cannot load certificates: {exc}") from None
        return ctx


def _load_inline_chain(ctx: ssl.SSLContext, cert: str, key: str) -> None:
    # ssl only loads a chain from files: write the PEM text to a private
    # temporary directory and remove it at once.
    with tempfile.TemporaryDirectory(prefix="promlab-tls-") as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_text(cert)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        ctx.load_cert_chain(cert_path, key_path)


@dataclass(frozen=True)
class WebConfig:
    """A validated web config; ``WebConfig()`` is "no file": plain HTTP, no auth."""

    tls: TLSConfig | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: user -> bcrypt hash (bytes); empty means no authentication.
    basic_auth_users: Mapping[str, bytes] = field(default_factory=dict)
    http2: bool = False

    def ssl_context(self) -> ssl.SSLContext | None:
        return None if self.tls is None else self.tls.ssl_context()


def load_web_config(path: str | os.PathLike[str] | None) -> WebConfig:
    """Read and validate ``--web.config.file``; ``None`` or ``""`` means no file.

    Every problem raises ``WebConfigError`` naming the file and the field. The
    TLS material is loaded once here too, so a bad certificate fails start-up.
    """
    if path is None or str(path) == "":
        return WebConfig()
    file = Path(path)
    try:
        text = file.read_text()
    except OSError as exc:
        raise WebConfigError(f"web config {file}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WebConfigError(f"web config {file}: not valid YAML: {exc}") from None
    try:
        config = parse_web_config(data, file.parent)
        config.ssl_context()
    except WebConfigError as exc:
        raise WebConfigError(f"web config {file}: {exc}") from None
    return config


def parse_web_config(data: object, base: Path) -> WebConfig:
    """Validate a decoded web config; relative paths resolve against ``base``."""
    if data is None:
        return WebConfig()
    root = _mapping(data, "the file")
    _no_unknown(root, _SECTIONS, "top level")
    tls = None
    if root.get("tls_server_config") is not None:
        tls = _parse_tls(_mapping(root["tls_server_config"], "tls_server_config"), base)
    http = _mapping(root.get("http_server_config") or {}, "http_server_config")
    _no_unknown(http, {"http2", "headers"}, "http_server_config")
    headers = _parse_headers(http.get("headers") or {})
    users: dict[str, bytes] = {}
    for user, hashed in _mapping(root.get("basic_auth_users") or {}, "basic_auth_users").items():
        if not isinstance(hashed, str) or not _BCRYPT.fullmatch(hashed):
            raise WebConfigError(
                f"basic_auth_users: the password of user {user!r} is not a bcrypt hash "
                "(expected $2a$, $2b$ or $2y$ followed by cost and 53 characters)"
            )
        users[str(user)] = hashed.encode()
    return WebConfig(tls, headers, users, bool(http.get("http2", False)))


def _parse_tls(raw: Mapping[str, Any], base: Path) -> TLSConfig:
    where = "tls_server_config"
    _no_unknown(raw, _TLS_FIELDS, where)

    def path(name: str) -> Path | None:
        value = raw.get(name)
        if value in (None, ""):
            return None
        return base / str(value)

    cert_file, key_file, ca_file = path("cert_file"), path("key_file"), path("client_ca_file")
    cert, key, ca = raw.get("cert") or None, raw.get("key") or None, raw.get("client_ca") or None
    if cert_file is None and cert is None:
        raise WebConfigError(f"{where}: missing one of cert or cert_file")
    if key_file is None and key is None:
        raise WebConfigError(f"{where}: missing one of key or key_file")
    for a, b in (("cert", "cert_file"), ("key", "key_file"), ("client_ca", "client_ca_file")):
        if raw.get(a) and raw.get(b):
            raise WebConfigError(f"{where}: at most one of {a} and {b} must be configured")
    if (cert_file is None) != (key_file is None):
        raise WebConfigError(f"{where}: cert_file and key_file go together (or cert and key)")
    auth = str(raw.get("client_auth_type") or "NoClientCert")
    if auth not in _CLIENT_AUTH:
        raise WebConfigError(
            f"{where}: invalid client_auth_type {auth!r}; expected one of {', '.join(_CLIENT_AUTH)}"
        )
    if auth in ("RequestClientCert", "RequireAnyClientCert"):
        raise WebConfigError(
            f"{where}: client_auth_type {auth} is not supported (Python's ssl verifies every "
            "client certificate it asks for); use VerifyClientCertIfGiven or "
            "RequireAndVerifyClientCert with client_ca_file"
        )
    has_ca = ca_file is not None or ca is not None
    if has_ca and auth == "NoClientCert":
        raise WebConfigError(
            f"{where}: Client CA's have been configured without a Client Auth Policy"
        )
    if auth != "NoClientCert" and not has_ca:
        raise WebConfigError(f"{where}: client_auth_type {auth} needs client_ca_file")
    sans = tuple(str(s) for s in _list(raw.get("client_allowed_sans"), where))
    if sans and auth != "RequireAndVerifyClientCert":
        raise WebConfigError(
            f"{where}: client_allowed_sans needs client_auth_type RequireAndVerifyClientCert"
        )
    versions = {}
    for name in ("min_version", "max_version"):
        value = raw.get(name)
        if value is not None and str(value) not in _TLS_VERSIONS:
            raise WebConfigError(
                f"{where}: unknown TLS version {value!r} in {name}; "
                f"expected one of {', '.join(_TLS_VERSIONS)}"
            )
        versions[name] = None if value is None else str(value)
    ciphers = tuple(str(c) for c in _list(raw.get("cipher_suites"), where))
    for c in ciphers:
        if c not in _CIPHERS:
            raise WebConfigError(f"{where}: unknown cipher suite {c!r} in cipher_suites")
    curves = tuple(str(c) for c in _list(raw.get("curve_preferences"), where))
    for c in curves:
        if c not in _CURVES:
            raise WebConfigError(
                f"{where}: unknown curve {c!r}; expected one of {', '.join(_CURVES)}"
            )
    return TLSConfig(
        cert_file,
        key_file,
        None if cert is None else str(cert),
        None if key is None else str(key),
        auth,
        ca_file,
        None if ca is None else str(ca),
        sans,
        versions["min_version"] or "TLS12",
        versions["max_version"],
        ciphers,
        curves,
        bool(raw.get("prefer_server_cipher_suites", True)),
    )


def _parse_headers(raw: object) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in _mapping(raw, "http_server_config.headers").items():
        canonical = next((h for h in _HEADERS if h.lower() == str(name).lower()), None)
        if canonical is None:
            raise WebConfigError(
                f"http_server_config.headers: HTTP header {name!r} can not be configured"
            )
        pattern = _HEADERS[canonical]
        if pattern is not None and not pattern.fullmatch(str(value)):
            raise WebConfigError(
                f"http_server_config.headers: invalid value {value!r} for {canonical}"
            )
        headers[canonical] = str(value)
    return headers


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WebConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _list(value: object, where: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise WebConfigError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _no_unknown(raw: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in raw:
        if key not in known:
            raise WebConfigError(f"{where}: unknown field {key!r}")
