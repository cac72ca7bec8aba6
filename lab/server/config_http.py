"""The HTTP client part of a scrape config (``basic_auth``, ``authorization``,
``bearer_token[_file]``, ``tls_config``, ``follow_redirects``, ``enable_http2``,
``proxy_url``), with upstream's (prometheus/common) validation texts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from .config_yaml import Reader, is_null

_BASIC_AUTH = frozenset({"username", "username_file", "password", "password_file"})
_AUTHORIZATION = frozenset({"type", "credentials", "credentials_file"})
_TLS = frozenset(
    {"ca_file", "cert_file", "key_file", "ca", "cert", "key", "server_name",
     "insecure_skip_verify", "min_version", "max_version"}
)  # fmt: skip

_MSG = {
    "password": "at most one of basic_auth password & password_file must be configured",
    "bearer": "at most one of bearer_token & bearer_token_file must be configured",
    "auth_bearer": "authorization is not compatible with bearer_token & bearer_token_file",
    "credentials": (
        "at most one of authorization credentials & credentials_file must be configured"
    ),
    "basic": 'authorization type cannot be set to "basic", use "basic_auth" instead',
    "one_auth": (
        "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
    ),
}


@dataclass(frozen=True, slots=True)
class BasicAuth:
    username: str = ""
    password: str = field(default="", repr=False)
    password_file: str = ""


@dataclass(frozen=True, slots=True)
class Authorization:
    type: str = "Bearer"
    credentials: str = field(default="", repr=False)
    credentials_file: str = ""


@dataclass(frozen=True, slots=True)
class TLSConfig:
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    ca: str = field(default="", repr=False)
    cert: str = field(default="", repr=False)
    key: str = field(default="", repr=False)
    server_name: str = ""
    insecure_skip_verify: bool = False
    min_version: str = ""


def http_client(r: Reader, f: dict[str, yaml.Node], path: Callable[[str], str]) -> dict[str, Any]:
    """The ScrapeConfig keyword arguments for the HTTP client fields present in ``f``."""
    out: dict[str, Any] = {}
    if "basic_auth" in f and not is_null(f["basic_auth"]):
        b = r.mapping(f["basic_auth"], "config.BasicAuth", _BASIC_AUTH)
        ba = BasicAuth(
            username=r.string(b["username"]) if "username" in b else "",
            password=r.string(b["password"]) if "password" in b else "",
            password_file=path(r.string(b["password_file"])) if "password_file" in b else "",
        )
        if ba.password and ba.password_file:
            r.fail(f["basic_auth"], _MSG["password"])
        out["basic_auth"] = ba
    bearer = "bearer_token" in f or "bearer_token_file" in f
    if "bearer_token" in f and "bearer_token_file" in f:
        r.fail(f["bearer_token"], _MSG["bearer"])
    if "authorization" in f and not is_null(f["authorization"]):
        a = r.mapping(f["authorization"], "config.Authorization", _AUTHORIZATION)
        auth = Authorization(
            type=(r.string(a["type"]) if "type" in a else "") or "Bearer",
            credentials=r.string(a["credentials"]) if "credentials" in a else "",
            credentials_file=(
                path(r.string(a["credentials_file"])) if "credentials_file" in a else ""
            ),
        )
        if bearer:
            r.fail(f["authorization"], _MSG["auth_bearer"])
        if auth.credentials and auth.credentials_file:
            r.fail(f["authorization"], _MSG["credentials"])
        if auth.type.lower() == "basic":
            r.fail(f["authorization"], _MSG["basic"])
        out["authorization"] = auth
    elif bearer:
        token = f.get("bearer_token")
        token_file = f.get("bearer_token_file")
        out["authorization"] = Authorization(
            credentials=r.string(token) if token is not None else "",
            credentials_file=path(r.string(token_file)) if token_file is not None else "",
        )
    if "basic_auth" in out and ("authorization" in out or "oauth2" in f):
        r.fail(f["basic_auth"], _MSG["one_auth"])
    if "tls_config" in f and not is_null(f["tls_config"]):
        out["tls_config"] = tls(r, f["tls_config"], path)
    for key in ("follow_redirects", "enable_http2"):
        if key in f:
            out[key] = r.boolean(f[key])
    if "proxy_url" in f:
        out["proxy_url"] = r.string(f["proxy_url"])
    return out


def tls(r: Reader, node: yaml.Node, path: Callable[[str], str]) -> TLSConfig:
    t = r.mapping(node, "config.TLSConfig", _TLS)
    inline = ("ca", "cert", "key", "server_name", "min_version")
    s = {k: r.string(t[k]) for k in inline if k in t}
    files: dict[str, str] = {
        k: path(r.string(t[k])) for k in ("ca_file", "cert_file", "key_file") if k in t
    }
    for a in ("ca", "cert", "key"):
        if s.get(a) and files.get(f"{a}_file"):
            r.fail(node, f"at most one of {a} and {a}_file must be configured")
    skip = r.boolean(t["insecure_skip_verify"]) if "insecure_skip_verify" in t else False
    return TLSConfig(**s, **files, insecure_skip_verify=skip)
