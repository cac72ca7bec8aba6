"""prometheus.yml-compatible configuration, as frozen dataclasses.

``load_file(path)`` / ``loads(text, file=...)`` parse and validate a whole
configuration and either return a ``Config`` or raise ``ConfigError`` (see
``config_errors``) naming the file, line and column; nothing is applied on
error. Prometheus's defaults apply (``scrape_interval`` 1m, ``scrape_timeout``
10s capped at the interval, ``metrics_path`` /metrics, ``honor_timestamps``
true ...) and its checks, with its error texts where practical: unknown fields
(``field x not found in type config.plain``), durations, duplicate job names,
``scrape timeout greater than scrape interval ...``, relabel rules.

Durations are integer milliseconds (``*_ms``). Relative paths (file_sd files,
password/credential files, rule files) are resolved against the config file's
directory, as upstream. Sections the lab does not act on yet are kept as plain
data (``alerting``, ``remote_write``, ``remote_read``) or accepted with a
warning (``Config.warnings``), e.g. ``query_log_file``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lab.model.labels import Labels

from .config_errors import ConfigError, ConfigValueError
from .config_http import Authorization, BasicAuth, TLSConfig, http_client
from .config_yaml import Reader, format_duration_ms, is_null
from .scrape.errors import RelabelConfigError
from .scrape.relabel import RelabelConfig

SCRAPE_PROTOCOLS = (
    "OpenMetricsText1.0.0",
    "OpenMetricsText0.0.1",
    "PrometheusText1.0.0",
    "PrometheusText0.0.4",
)
#: Upstream also has PrometheusProto; we do not parse protobuf.
DEFAULT_SCRAPE_PROTOCOLS = SCRAPE_PROTOCOLS


@dataclass(frozen=True, slots=True)
class GlobalConfig:
    scrape_interval_ms: int = 60_000
    scrape_timeout_ms: int = 10_000
    evaluation_interval_ms: int = 60_000
    rule_query_offset_ms: int = 0
    external_labels: Labels = field(default_factory=Labels)
    scrape_protocols: tuple[str, ...] = DEFAULT_SCRAPE_PROTOCOLS
    body_size_limit: int = 0
    sample_limit: int = 0
    target_limit: int = 0
    label_limit: int = 0
    label_name_length_limit: int = 0
    label_value_length_limit: int = 0
    keep_dropped_targets: int = 0


@dataclass(frozen=True, slots=True)
class StaticConfig:
    targets: tuple[str, ...] = ()
    labels: Labels = field(default_factory=Labels)


@dataclass(frozen=True, slots=True)
class FileSDConfig:
    files: tuple[str, ...] = ()
    refresh_interval_ms: int = 300_000


KUBERNETES_ROLES = ("endpoints", "endpointslice", "service", "pod", "node", "ingress")


@dataclass(frozen=True, slots=True)
class KubernetesSDConfig:
    """Kept as data for the kubernetes discoverer; ``raw`` has every field."""

    role: str
    namespaces: tuple[str, ...] = ()
    own_namespace: bool = False
    api_server: str = ""
    kubeconfig_file: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=True)


@dataclass(frozen=True, slots=True)
class ScrapeConfig:
    job_name: str
    scrape_interval_ms: int
    scrape_timeout_ms: int
    honor_labels: bool = False
    honor_timestamps: bool = True
    track_timestamps_staleness: bool = False
    params: tuple[tuple[str, tuple[str, ...]], ...] = ()
    scrape_protocols: tuple[str, ...] = DEFAULT_SCRAPE_PROTOCOLS
    fallback_scrape_protocol: str = ""
    metrics_path: str = "/metrics"
    scheme: str = "http"
    enable_compression: bool = True
    body_size_limit: int = 0
    sample_limit: int = 0
    target_limit: int = 0
    label_limit: int = 0
    label_name_length_limit: int = 0
    label_value_length_limit: int = 0
    keep_dropped_targets: int = 0
    basic_auth: BasicAuth | None = None
    authorization: Authorization | None = None
    tls_config: TLSConfig = field(default_factory=TLSConfig)
    follow_redirects: bool = True
    enable_http2: bool = True
    proxy_url: str = ""
    static_configs: tuple[StaticConfig, ...] = ()
    file_sd_configs: tuple[FileSDConfig, ...] = ()
    kubernetes_sd_configs: tuple[KubernetesSDConfig, ...] = ()
    relabel_configs: tuple[RelabelConfig, ...] = ()
    metric_relabel_configs: tuple[RelabelConfig, ...] = ()

    @property
    def scrape_interval(self) -> str:
        return format_duration_ms(self.scrape_interval_ms)

    @property
    def scrape_timeout(self) -> str:
        return format_duration_ms(self.scrape_timeout_ms)


@dataclass(frozen=True, slots=True)
class Config:
    global_config: GlobalConfig = field(default_factory=GlobalConfig)
    scrape_configs: tuple[ScrapeConfig, ...] = ()
    rule_files: tuple[str, ...] = ()
    alerting: Mapping[str, Any] | None = None
    remote_write: tuple[Mapping[str, Any], ...] = ()
    remote_read: tuple[Mapping[str, Any], ...] = ()
    file: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def scrape_config(self, job_name: str) -> ScrapeConfig | None:
        return next((c for c in self.scrape_configs if c.job_name == job_name), None)


# -- loading ---------------------------------------------------------------------

_TOP = frozenset(
    {"global", "scrape_configs", "rule_files", "alerting", "remote_write", "remote_read"}
)
_TOP_IGNORED = frozenset({"storage", "tracing", "runtime", "otlp", "scrape_config_files"})
_GLOBAL = frozenset(
    {
        "scrape_interval", "scrape_timeout", "evaluation_interval", "rule_query_offset",
        "external_labels", "scrape_protocols", "body_size_limit", "sample_limit",
        "target_limit", "label_limit", "label_name_length_limit", "label_value_length_limit",
        "keep_dropped_targets",
    }
)  # fmt: skip
_GLOBAL_IGNORED = frozenset(
    {
        "query_log_file", "scrape_failure_log_file", "metric_name_validation_scheme",
        "metric_name_escaping_scheme", "native_histogram_bucket_limit",
        "native_histogram_min_bucket_factor", "always_scrape_classic_histograms",
        "convert_classic_histograms_to_nhcb", "scrape_native_histograms",
        "extra_scrape_metrics",
    }
)  # fmt: skip
_SCRAPE = frozenset(
    {
        "job_name", "honor_labels", "honor_timestamps", "track_timestamps_staleness",
        "params", "scrape_interval", "scrape_timeout", "scrape_protocols",
        "fallback_scrape_protocol", "metrics_path", "scheme", "enable_compression",
        "body_size_limit", "sample_limit", "target_limit", "label_limit",
        "label_name_length_limit", "label_value_length_limit", "keep_dropped_targets",
        "basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config",
        "follow_redirects", "enable_http2", "proxy_url", "static_configs", "file_sd_configs",
        "kubernetes_sd_configs", "relabel_configs", "metric_relabel_configs",
    }
)  # fmt: skip
_SCRAPE_IGNORED = _GLOBAL_IGNORED | frozenset(
    {"oauth2", "no_proxy", "proxy_from_environment", "proxy_connect_header", "http_headers",
     "scrape_classic_histograms", "enable_http2"}
)  # fmt: skip
_UNSUPPORTED_SD = frozenset(
    f"{name}_sd_configs"
    for name in [
        "azure",
        "consul",
        "digitalocean",
        "docker",
        "dockerswarm",
        "dns",
        "ec2",
        "eureka",
        "gce",
        "hetzner",
        "http",
        "ionos",
        "kuma",
        "lightsail",
        "linode",
        "marathon",
        "nerve",
        "nomad",
        "openstack",
        "ovhcloud",
        "puppetdb",
        "scaleway",
        "serverset",
        "triton",
        "uyuni",
        "vultr",
        "stackit",
    ]
)
_RELABEL = frozenset(
    {"source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"}
)
_STATIC = frozenset({"targets", "labels"})
_FILE_SD = frozenset({"files", "refresh_interval"})
_KUBERNETES = frozenset(
    {"role", "namespaces", "api_server", "kubeconfig_file", "selectors", "attach_metadata",
     "basic_auth", "authorization", "tls_config", "bearer_token", "bearer_token_file",
     "oauth2", "proxy_url", "follow_redirects", "enable_http2", "no_proxy",
     "proxy_from_environment", "proxy_connect_header", "http_headers"}
)  # fmt: skip


def load_file(path: str | os.PathLike[str]) -> Config:
    """Read and validate a configuration file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"open {p}: {exc.strerror}", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"invalid UTF-8: {exc.reason}", file=str(p)) from None
    return loads(text, file=str(p), directory=str(p.parent))


def loads(text: str, *, file: str = "", directory: str = "") -> Config:
    """Parse and validate configuration text (``file`` names it in errors)."""
    return _Loader(Reader(file), directory).load(text)


class _Loader:
    def __init__(self, reader: Reader, directory: str) -> None:
        self.r = reader
        self.dir = directory
        self.warnings: list[str] = []

    def path(self, p: str) -> str:
        # As upstream's config.JoinDir: relative paths are relative to the config file.
        return p if not p or os.path.isabs(p) or not self.dir else os.path.join(self.dir, p)

    def warn(self, node: yaml.Node, message: str) -> None:
        where = f"{self.r.file}:{node.start_mark.line + 1}" if self.r.file else ""
        self.warnings.append(f"{where}: {message}" if where else message)

    def load(self, text: str) -> Config:
        root = self.r.compose(text)
        if root is None:
            return Config(file=self.r.file)
        f = self.r.mapping(root, "config.plain", _TOP | _TOP_IGNORED)
        for name in _TOP_IGNORED & f.keys():
            self.warn(f[name], f"{name} is not supported by promlab and is ignored")
        glob = self.global_config(f["global"]) if "global" in f else GlobalConfig()
        jobs: dict[str, ScrapeConfig] = {}
        for node in self.r.seq(f.get("scrape_configs", _NULL)):
            if is_null(node):
                self.r.fail(node, "empty or null scrape config section")
            cfg = self.scrape_config(node, glob)
            if cfg.job_name in jobs:
                self.r.fail(node, f'found multiple scrape configs with job name "{cfg.job_name}"')
            jobs[cfg.job_name] = cfg
        rule_files = []
        for node in self.r.seq(f.get("rule_files", _NULL)):
            rf = self.r.string(node)
            if not rf or rf.strip() != rf:
                self.r.fail(node, f'invalid rule file path "{rf}"')
            rule_files.append(self.path(rf))
        alerting = self.r.plain(f["alerting"]) if "alerting" in f else None
        if alerting is not None and not isinstance(alerting, dict):
            self.r.fail(f["alerting"], "cannot unmarshal into config.AlertingConfig")
        return Config(
            global_config=glob,
            scrape_configs=tuple(jobs.values()),
            rule_files=tuple(rule_files),
            alerting=alerting,
            remote_write=self.remote(f, "remote_write"),
            remote_read=self.remote(f, "remote_read"),
            file=self.r.file,
            warnings=tuple(self.warnings),
        )

    def remote(self, f: dict[str, yaml.Node], key: str) -> tuple[Mapping[str, Any], ...]:
        out = []
        names: set[str] = set()
        for node in self.r.seq(f.get(key, _NULL)):
            if is_null(node):
                self.r.fail(node, f"empty or null {key.replace('_', ' ')} config section")
            data = self.r.plain(node)
            if not isinstance(data, dict):
                self.r.fail(node, f"cannot unmarshal {key} entry into a map")
            if not data.get("url"):
                self.r.fail(node, f"url for {key} is empty")
            name = str(data.get("name", ""))
            if name and name in names:
                kind = key.replace("_", " ")
                self.r.fail(node, f'found multiple {kind} configs with job name "{name}"')
            names.add(name)
            out.append(data)
        return tuple(out)

    def global_config(self, node: yaml.Node) -> GlobalConfig:
        r = self.r
        f = r.mapping(node, "config.plain", _GLOBAL | _GLOBAL_IGNORED)
        for name in _GLOBAL_IGNORED & f.keys():
            self.warn(f[name], f"global {name} is not supported by promlab and is ignored")
        d = GlobalConfig()
        interval = r.duration_ms(f["scrape_interval"]) if "scrape_interval" in f else 0
        interval = interval or d.scrape_interval_ms
        timeout = r.duration_ms(f["scrape_timeout"]) if "scrape_timeout" in f else 0
        if timeout > interval:
            r.fail(f["scrape_timeout"], "global scrape timeout greater than scrape interval")
        timeout = timeout or min(d.scrape_timeout_ms, interval)
        evaluation = r.duration_ms(f["evaluation_interval"]) if "evaluation_interval" in f else 0
        return GlobalConfig(
            scrape_interval_ms=interval,
            scrape_timeout_ms=timeout,
            evaluation_interval_ms=evaluation or d.evaluation_interval_ms,
            rule_query_offset_ms=(
                r.duration_ms(f["rule_query_offset"]) if "rule_query_offset" in f else 0
            ),
            external_labels=r.labels(f["external_labels"]) if "external_labels" in f else Labels(),
            scrape_protocols=(
                self.protocols(f["scrape_protocols"], " for global config")
                if "scrape_protocols" in f
                else d.scrape_protocols
            ),
            body_size_limit=r.bytes_size(f["body_size_limit"]) if "body_size_limit" in f else 0,
            **{k: r.uint(f[k]) for k in _LIMITS if k in f},
        )

    def protocols(self, node: yaml.Node, suffix: str) -> tuple[str, ...]:
        values = self.r.strings(node)
        if not values:
            self.r.fail(node, "scrape_protocols cannot be empty" + suffix)
        lowered = [v.lower() for v in values]
        if len(set(lowered)) != len(lowered):
            self.r.fail(node, f"duplicated protocol in scrape_protocols, got [{' '.join(values)}]")
        for v in values:
            if v not in SCRAPE_PROTOCOLS:
                supported = " ".join(SCRAPE_PROTOCOLS)
                self.r.fail(node, f"scrape_protocols: unknown scrape protocol {v}, "
                            f"supported: [{supported}]{suffix}")  # fmt: skip
        return values

    def scrape_config(self, node: yaml.Node, glob: GlobalConfig) -> ScrapeConfig:
        r = self.r
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            key = r.string(key_node)
            if key in _UNSUPPORTED_SD:
                r.fail(key_node, f"{key} is not supported by promlab")
        f = r.mapping(node, "config.ScrapeConfig", _SCRAPE | _SCRAPE_IGNORED)
        job = r.string(f["job_name"]) if "job_name" in f else ""
        if not job:
            r.fail(node, "job_name is empty")
        for name in _SCRAPE_IGNORED & f.keys() - _SCRAPE:
            self.warn(f[name], f"{name} is not supported by promlab and is ignored")
        interval = r.duration_ms(f["scrape_interval"]) if "scrape_interval" in f else 0
        interval = interval or glob.scrape_interval_ms
        timeout = r.duration_ms(f["scrape_timeout"]) if "scrape_timeout" in f else 0
        if timeout > interval:
            r.fail(
                f.get("scrape_timeout", node),
                "scrape timeout greater than scrape interval for scrape config "
                f'with job name "{job}"',
            )
        timeout = timeout or min(glob.scrape_timeout_ms, interval)
        scheme = r.string(f["scheme"]) if "scheme" in f else "http"
        if scheme not in ("http", "https"):
            r.fail(
                f["scheme"], f'invalid scheme "{scheme}" for scrape config with job name "{job}"'
            )
        limits: dict[str, Any] = {
            k: r.uint(f[k]) if k in f else 0 for k in (*_LIMITS, "keep_dropped_targets")
        }
        for k, v in list(limits.items()):
            limits[k] = v or getattr(glob, k)
        relabel = self.relabels(f.get("relabel_configs"), "target relabeling rule")
        static = tuple(self.static(n) for n in r.seq(f.get("static_configs", _NULL)))
        if not relabel:
            for sc_node, sc in zip(r.seq(f.get("static_configs", _NULL)), static, strict=True):
                for t in sc.targets:
                    if "/" in t:
                        r.fail(sc_node, f'"{t}" is not a valid hostname')
        fallback = (
            r.string(f["fallback_scrape_protocol"]) if "fallback_scrape_protocol" in f else ""
        )
        if fallback and fallback not in SCRAPE_PROTOCOLS:
            r.fail(
                f["fallback_scrape_protocol"],
                f'invalid fallback_scrape_protocol for scrape config with job name "{job}": '
                f"unknown scrape protocol {fallback}, supported: [{' '.join(SCRAPE_PROTOCOLS)}]",
            )
        return ScrapeConfig(
            job_name=job,
            scrape_interval_ms=interval,
            scrape_timeout_ms=timeout,
            honor_labels=r.boolean(f["honor_labels"]) if "honor_labels" in f else False,
            honor_timestamps=r.boolean(f["honor_timestamps"]) if "honor_timestamps" in f else True,
            track_timestamps_staleness=(
                r.boolean(f["track_timestamps_staleness"])
                if "track_timestamps_staleness" in f
                else False
            ),
            params=self.params(f["params"]) if "params" in f else (),
            scrape_protocols=(
                self.protocols(f["scrape_protocols"], f' for scrape config with job name "{job}"')
                if "scrape_protocols" in f
                else glob.scrape_protocols
            ),
            fallback_scrape_protocol=fallback,
            metrics_path=r.string(f["metrics_path"]) if "metrics_path" in f else "/metrics",
            scheme=scheme,
            enable_compression=(
                r.boolean(f["enable_compression"]) if "enable_compression" in f else True
            ),
            body_size_limit=(r.bytes_size(f["body_size_limit"]) if "body_size_limit" in f else 0)
            or glob.body_size_limit,
            **limits,
            **http_client(r, f, self.path),
            static_configs=static,
            file_sd_configs=tuple(self.file_sd(n) for n in r.seq(f.get("file_sd_configs", _NULL))),
            kubernetes_sd_configs=tuple(
                self.kubernetes(n) for n in r.seq(f.get("kubernetes_sd_configs", _NULL))
            ),
            relabel_configs=relabel,
            metric_relabel_configs=self.relabels(
                f.get("metric_relabel_configs"), "metric relabeling rule"
            ),
        )

    def params(self, node: yaml.Node) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(node, yaml.MappingNode):
            self.r.fail(node, f"cannot unmarshal {node.tag} into url.Values")
        return tuple((self.r.string(k), self.r.strings(v)) for k, v in node.value)

    def static(self, node: yaml.Node) -> StaticConfig:
        f = self.r.mapping(node, "targetgroup.plain", _STATIC)
        return StaticConfig(
            targets=self.r.strings(f.get("targets", _NULL)),
            labels=self.r.labels(f["labels"]) if "labels" in f else Labels(),
        )

    def file_sd(self, node: yaml.Node) -> FileSDConfig:
        r = self.r
        f = r.mapping(node, "file.plain", _FILE_SD)
        files = r.strings(f.get("files", _NULL))
        if not files:
            r.fail(node, "file service discovery config must contain at least one path name")
        for p, n in zip(files, r.seq(f["files"]), strict=True):
            base = os.path.basename(p)
            if not any(base.endswith(ext) for ext in (".json", ".yml", ".yaml")):
                r.fail(n, f"path name {p!r} is not valid for file discovery")
        refresh = r.duration_ms(f["refresh_interval"]) if "refresh_interval" in f else 300_000
        return FileSDConfig(tuple(self.path(p) for p in files), refresh or 300_000)

    def kubernetes(self, node: yaml.Node) -> KubernetesSDConfig:
        r = self.r
        f = r.mapping(node, "kubernetes.plain", _KUBERNETES)
        role = r.string(f["role"]) if "role" in f else ""
        if not role:
            r.fail(
                node, "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)"
            )
        if role not in KUBERNETES_ROLES:
            r.fail(f["role"], f"unknown Kubernetes SD role {role!r}")
        raw = r.plain(node)
        ns = raw.get("namespaces") or {}
        return KubernetesSDConfig(
            role=role,
            namespaces=tuple(ns.get("names") or ()),
            own_namespace=bool(ns.get("own_namespace", False)),
            api_server=str(raw.get("api_server") or ""),
            kubeconfig_file=self.path(str(raw.get("kubeconfig_file") or "")),
            raw=raw,
        )

    def relabels(self, node: yaml.Node | None, what: str) -> tuple[RelabelConfig, ...]:
        if node is None:
            return ()
        return tuple(self.relabel(n, what) for n in self.r.seq(node))

    def relabel(self, node: yaml.Node, what: str) -> RelabelConfig:
        r = self.r
        if is_null(node):
            r.fail(node, f"empty or null {what} in scrape config")
        f = r.mapping(node, "relabel.plain", _RELABEL)
        kwargs: dict[str, Any] = {}
        for key in ("separator", "target_label", "replacement", "action"):
            if key in f:
                kwargs[key] = r.string(f[key])
        if "regex" in f:
            kwargs["regex"] = r.string(f["regex"])
        if "source_labels" in f:
            kwargs["source_labels"] = r.strings(f["source_labels"])
        if "modulus" in f:
            kwargs["modulus"] = r.uint(f["modulus"])
        if kwargs.get("action") == "":
            r.fail(f["action"], "relabel action cannot be empty")
        try:
            return RelabelConfig.create(**kwargs)
        except RelabelConfigError as exc:
            where = f.get("action") if "unknown relabel action" in str(exc) else node
            r.fail(where, str(exc))


_LIMITS = (
    "sample_limit",
    "target_limit",
    "label_limit",
    "label_name_length_limit",
    "label_value_length_limit",
)
_NULL = yaml.ScalarNode("tag:yaml.org,2002:null", "")

__all__ = [
    "Authorization",
    "BasicAuth",
    "Config",
    "ConfigError",
    "ConfigValueError",
    "FileSDConfig",
    "GlobalConfig",
    "KubernetesSDConfig",
    "ScrapeConfig",
    "StaticConfig",
    "TLSConfig",
    "load_file",
    "loads",
]
