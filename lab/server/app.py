"""The composition root: the ONE place that wires the server's parts.

``PromlabServer(options)`` builds the storage (the TSDB in
``--storage.tsdb.path``), the query settings, the scrape manager and the HTTP
API, serves them through the shared web layer (``--web.config.file`` TLS and
basic auth) and runs until stopped::

    server = PromlabServer(ServerOptions(config_file="prometheus.yml"))
    await server.run()            # SIGINT/SIGTERM or /-/quit stop it; SIGHUP reloads

A caller (tests, the bench) may pass its own storage instead, e.g. an
in-memory store preloaded with the demo dataset; the server then neither opens
nor closes a TSDB.

The parts around the storage: rules and alerting (``wiring_rules``: rule
files, evaluation, for-state restore, Alertmanager delivery), remote write
and read (``wiring_remote``: scraped and recorded samples also queued for
``remote_write``, ``remote_read`` merged into every query, the
``/api/v1/write`` receiver and ``/api/v1/read``) and sharding
(``--shard``/``--total-shards``: this server's share of the scrape configs).
With ``--scaling.config-file`` it also serves the autoscaling endpoints
(``lab.live.scaling_api``: KEDA's metrics-api and the HPA external metrics API)
for the named queries in that file, read once at start.

Reload (``/-/reload``, SIGHUP) re-reads the configuration and applies it to
rules, scraping and remote storage; the storage is untouched, so no data is
lost, and a configuration (or rule file) that fails to load leaves the running
one in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lab.clock import Clock, RealClock
from lab.model.durations import format_model_duration_ms
from lab.model.errors import LabError
from lab.model.labels import Labels
from lab.server.api.deps import DEFAULT_BUILD_INFO, ApiDeps, JSONDict
from lab.server.api.query import QuerySettings
from lab.server.selfmetrics import HeadStats, ServerMetrics
from lab.server.storage.interface import Appendable, Queryable

if TYPE_CHECKING:
    from lab.live.scaling_api import ScalingMetrics

log = logging.getLogger(__name__)


class ServerError(LabError):
    """The server cannot start: a bad flag, configuration or listen address."""


class Storage(Appendable, Queryable, Protocol):
    """What the server stores into and queries from."""


@dataclass(frozen=True)
class ServerOptions:
    """``promlab server``'s flags, already parsed (durations in ms)."""

    config_file: str = "prometheus.yml"
    storage_path: str = "data/"
    retention_time_ms: int = 15 * 86_400_000
    retention_size_bytes: int = 0
    listen_addresses: tuple[str, ...] = ("0.0.0.0:9090",)
    web_config_file: str = ""
    external_url: str = ""
    enable_lifecycle: bool = False
    enable_admin_api: bool = False
    enable_remote_write_receiver: bool = False
    query_timeout_ms: int = 120_000
    query_max_samples: int = 50_000_000
    query_lookback_delta_ms: int = 300_000
    query_max_concurrency: int = 20
    #: Grafana dashboards the web UI lists (``--web.dashboards-dir``); None: none
    dashboards_dir: str | None = None
    #: ``--shard``/``--total-shards``/``--shard-mode`` (horizontal = hashmod)
    shard: int = 0
    total_shards: int = 1
    shard_mode: str = "horizontal"
    #: ``--scaling.config-file``: YAML ``{metrics: {name: query}}`` served for
    #: KEDA and HPAs; None: no autoscaling endpoints
    scaling_config_file: str | None = None
    #: every flag as given, for /api/v1/status/flags
    flags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedConfig:
    """The running configuration: its text (for /status/config), the external
    labels, and the parsed object the scrape manager takes (None until the
    configuration package is in)."""

    yaml: str
    external_labels: Labels
    parsed: Any = None


def load_config(path: str) -> LoadedConfig:
    """Read and validate ``--config.file``; raises ``ServerError`` with the reason."""
    import importlib

    try:
        config_mod: Any = importlib.import_module("lab.server.config")
    except ImportError:  # the configuration package has not landed yet
        return _load_config_minimal(path)
    try:
        cfg = config_mod.load_file(path)
    except LabError as exc:
        raise ServerError(f"couldn't load configuration (--config.file={path}): {exc}") from None
    text = Path(path).read_text(encoding="utf-8")
    return LoadedConfig(text, cfg.global_config.external_labels, cfg)


def _load_config_minimal(path: str) -> LoadedConfig:
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ServerError(f"couldn't load configuration (--config.file={path}): {exc}") from None
    if not isinstance(data, dict):
        raise ServerError(f"couldn't load configuration (--config.file={path}): not a mapping")
    glob = data.get("global") or {}
    ext = glob.get("external_labels") or {} if isinstance(glob, dict) else {}
    if not isinstance(ext, dict):
        raise ServerError(
            f"couldn't load configuration (--config.file={path}): "
            "global.external_labels must be a mapping"
        )
    return LoadedConfig(text, Labels.of({str(k): str(v) for k, v in ext.items()}))


def format_duration(ms: int) -> str:
    """Prometheus's duration notation (``15d``, ``1h30m``, ``0s``): years and
    weeks only when exact, as ``model.Duration.String``."""
    return format_model_duration_ms(ms, exact_years_weeks=True)


class PromlabServer:
    """The running server. ``start()`` / ``stop()``, or ``run()`` for both."""

    def __init__(
        self,
        options: ServerOptions,
        *,
        storage: Storage | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.options = options
        self.clock: Clock = clock or RealClock()
        self.config = load_config(options.config_file)
        # Read before the storage is opened, so a bad file fails the start
        # as a bad configuration does, with nothing to close.
        self._scaling = _load_scaling(options.scaling_config_file)
        self._owns_storage = storage is None
        self.storage: Storage = storage if storage is not None else self._open_tsdb()
        self._scrape: Any = None
        self.metrics = ServerMetrics(_build_info(), self._head_stats)
        self.settings = QuerySettings(
            max_samples=options.query_max_samples,
            timeout_s=options.query_timeout_ms / 1000.0,
            lookback_delta_ms=options.query_lookback_delta_ms,
            observe_eval=self.metrics.observe_query,
        )
        self._executor = ThreadPoolExecutor(
            max_workers=max(options.query_max_concurrency, 1), thread_name_prefix="query"
        )
        from lab.server.wiring_remote import RemoteWiring
        from lab.server.wiring_rules import RulesWiring

        # Scrapes, rules and queries go through ``remote``: it adds the
        # remote_write queue and remote_read endpoints around the storage.
        self.remote = RemoteWiring(
            self.storage, Path(options.storage_path) / "remote", clock=self.clock,
            executor=self._executor,
        )  # fmt: skip
        self.rules = RulesWiring(
            self.remote, self.remote, self.clock, self.settings,
            config_file=options.config_file, external_url=self._external_url(),
        )  # fmt: skip
        self._started_at = datetime.now(UTC)
        self._last_config_time = self._started_at
        self._reload_success = True
        self._reload_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._web: Any = None
        self.urls: list[str] = []

    def _open_tsdb(self) -> Storage:
        from lab.server.tsdb import DB, TSDBError

        o = self.options
        try:
            return DB.open(
                o.storage_path,
                retention_time_ms=o.retention_time_ms or None,
                retention_size_bytes=o.retention_size_bytes or None,
                compact_interval_s=60.0,
            )
        except (TSDBError, OSError) as exc:
            raise ServerError(f"opening storage failed ({o.storage_path}): {exc}") from None

    # -- the API's view of the server ----------------------------------------------------

    def api_deps(self) -> ApiDeps:
        return ApiDeps(
            queryable=self.remote,
            now_ms=self.clock.now_ms,
            settings=self.settings,
            external_labels=lambda: self.config.external_labels,
            config_yaml=lambda: self.config.yaml,
            flags=self.options.flags,
            runtime_info=self._runtime_info,
            tsdb_status=self._tsdb_status,
            targets=self._targets,
            metadata=self._metadata,
            targets_metadata=self._targets_metadata,
            reload=self.reload,
            quit=self._stop.set,
            lifecycle_enabled=self.options.enable_lifecycle,
            admin_enabled=self.options.enable_admin_api,
            storage_path=self.options.storage_path,
            build_info=_build_info(),
            executor=self._executor,
            rule_manager=self.rules.manager,
            notifier=self.rules.notifier,
        )

    def _external_url(self) -> str:
        """``--web.external-url``, or Prometheus's default from the host name
        and the first listen port (alerts' generatorURL links to it)."""
        if self.options.external_url:
            return self.options.external_url
        import socket

        port = self.options.listen_addresses[0].rpartition(":")[2] or "9090"
        return f"http://{socket.gethostname()}:{port}/"

    def _sharded(self, parsed: Any) -> Any:
        """This server's share of the scrape configs (``--shard``)."""
        from lab.server.sharding.assign import apply_sharding

        o = self.options
        return apply_sharding(parsed, o.shard, o.total_shards, o.shard_mode)

    def _check_parts(self, parsed: Any) -> Any:
        """Remote sections parsed and rule files loaded, before anything else
        changes; raises ``ServerError`` (rules and remote storage unchanged)."""
        from lab.server.wiring_remote import check

        try:
            remote = check(parsed)
            self.rules.apply(parsed)
        except LabError as exc:
            raise ServerError(str(exc)) from None
        return remote

    def _runtime_info(self) -> JSONDict:
        o = self.options
        retention = []
        if o.retention_time_ms:
            retention.append(format_duration(o.retention_time_ms))
        if o.retention_size_bytes:
            retention.append(f"{o.retention_size_bytes}B")
        return {
            "startTime": _rfc3339(self._started_at),
            "CWD": os.getcwd(),
            "reloadConfigSuccess": self._reload_success,
            "lastConfigTime": _rfc3339(self._last_config_time.replace(microsecond=0)),
            "corruptionCount": 0,
            "goroutineCount": threading.active_count(),
            "GOMAXPROCS": os.cpu_count() or 1,
            "GOGC": "",
            "GODEBUG": "",
            "storageRetention": " or ".join(retention) or "0s",
        }

    def _targets(self) -> tuple[list[JSONDict], list[JSONDict]]:
        if self._scrape is None:
            return [], []
        from lab.server.api.targets import targets_json

        return targets_json(self._scrape.targets())

    def _targets_metadata(self) -> list[tuple[Labels, list[JSONDict]]]:
        if self._scrape is None:
            return []
        loops = sorted(self._scrape.loops(), key=lambda lp: (lp.target.job, lp.target.labels))
        return [
            (
                lp.target.public_labels(),
                [
                    {"metric": m.metric, "type": m.type, "help": m.help, "unit": m.unit}
                    for m in lp.metadata()
                ],
            )
            for lp in loops
        ]

    def _metadata(self) -> dict[str, list[JSONDict]]:
        """Every target's metadata by metric, each distinct entry once."""
        out: dict[str, list[JSONDict]] = {}
        for _, entries in self._targets_metadata():
            for e in entries:
                rest = {"type": e["type"], "help": e["help"], "unit": e["unit"]}
                seen = out.setdefault(e["metric"], [])
                if rest not in seen:
                    seen.append(rest)
        return out

    def _tsdb_status(self, limit: int) -> JSONDict:
        stats = getattr(self.storage, "stats", None)
        if callable(stats):
            result: JSONDict = stats(limit)
            return result
        from lab.server.api.params import MAX_TIME_MS, MIN_TIME_MS
        from lab.server.api.tsdb_status import status_from_series

        querier = self.storage.querier(MIN_TIME_MS, MAX_TIME_MS)
        try:
            return status_from_series(querier.select([]), limit)
        finally:
            querier.close()

    # -- lifecycle -----------------------------------------------------------------------

    async def reload(self) -> None:
        """Re-read the configuration; on failure keep the running one and raise."""
        async with self._reload_lock:
            try:
                new = await asyncio.to_thread(load_config, self.options.config_file)
                if new.parsed is not None:
                    new = LoadedConfig(new.yaml, new.external_labels, self._sharded(new.parsed))
                    remote = self._check_parts(new.parsed)
            except (ServerError, LabError) as exc:
                self._reload_success = False
                log.error("reload failed, keeping the running configuration: %s", exc)
                raise
            if self._scrape is not None and new.parsed is not None:
                await self._scrape.apply_config(new.parsed)
            if new.parsed is not None:
                await self.remote.apply(remote, new.external_labels)
            self.config = new
            self._reload_success = True
            self._last_config_time = datetime.now(UTC)
            log.info("configuration reloaded from %s", self.options.config_file)

    async def start(self) -> list[str]:
        from exporters.common.web import Server, WebError, load_web_config, new_app
        from lab.server.api.routes import build_app, mount, route_prefix

        if self.config.parsed is not None:
            try:
                parsed = self._sharded(self.config.parsed)
            except LabError as exc:
                raise ServerError(str(exc)) from None
            self.config = LoadedConfig(self.config.yaml, self.config.external_labels, parsed)
            await self.remote.apply(self._check_parts(parsed), self.config.external_labels)
        await self.remote.start()
        await self.rules.start()
        await self._start_scraping()
        try:
            web_config = load_web_config(self.options.web_config_file or None)
            prefix = route_prefix(self.options.external_url)
            counted = [self.metrics.middleware()]
            if prefix:
                app = new_app(web_config)
                api = build_app(self.api_deps(), outer_middlewares=counted)
                self._add_own_routes(api)
                mount(app, prefix, api)
            else:
                app = build_app(self.api_deps(), new_app(web_config), outer_middlewares=counted)
                self._add_own_routes(app)
            self._web = Server(app, list(self.options.listen_addresses), web_config)
            self.urls = await self._web.start()
        except WebError as exc:
            raise ServerError(str(exc)) from None
        except OSError as exc:
            raise ServerError(f"cannot listen: {exc}") from None
        log.info("promlab server ready on %s", ", ".join(self.urls))
        return self.urls

    def _add_own_routes(self, app: Any) -> None:
        """``/metrics`` (the server's own metrics) and the web UI."""
        from prometheus_client import CollectorRegistry

        from exporters.common.web.metrics import MetricsHandler

        registry = CollectorRegistry(auto_describe=False)
        registry.register(self.metrics)
        app.router.add_get("/metrics", MetricsHandler([registry]).handle)
        self.remote.routes(
            app, receiver=self.options.enable_remote_write_receiver,
            external_labels=lambda: self.config.external_labels,
        )  # fmt: skip
        if self._scaling is not None:
            from lab.live.scaling_api import ScalingApi, add_scaling_routes

            # Over ``remote``, as the query API: the same data, remote_read included.
            add_scaling_routes(app, ScalingApi(self._scaling, self.remote))
        self._add_ui(app)

    def _head_stats(self) -> HeadStats | None:
        head = getattr(self.storage, "head", None)
        if head is None or not hasattr(head, "samples_appended"):
            return None
        return HeadStats(len(head.series), head.samples_appended)

    def _add_ui(self, app: Any) -> None:
        from lab.server.ui import UiOptions, add_ui_routes

        cfg = self.config.parsed
        interval = cfg.global_config.scrape_interval_ms if cfg is not None else 60_000
        ui = UiOptions(dashboards_dir=self.options.dashboards_dir, scrape_interval_ms=interval)
        add_ui_routes(app, self.api_deps(), ui)

    async def _start_scraping(self) -> None:
        if self.config.parsed is None:
            return
        from lab.server.scrape.discovery.kubernetes_api import kubernetes_discoverers
        from lab.server.scrape.manager import ScrapeManager

        self._scrape = ScrapeManager(
            self.remote,
            self.clock,
            discoverer_factories={"kubernetes_sd_configs": kubernetes_discoverers},
            on_interval=self.metrics.observe_interval,
        )
        await self._scrape.apply_config(self.config.parsed)

    async def stop(self) -> None:
        """Stop serving, then scraping, then close the storage (in that order,
        so nothing writes into a closed TSDB)."""
        if self._web is not None:
            await self._web.stop()
            self._web = None
        if self._scrape is not None:
            await self._scrape.stop()
            self._scrape = None
        await self.rules.stop()
        await self.remote.stop()
        self._executor.shutdown(wait=True, cancel_futures=True)
        close = getattr(self.storage, "close", None)
        if self._owns_storage and callable(close):
            await asyncio.to_thread(close)

    def request_stop(self) -> None:
        self._stop.set()

    async def wait_until_stop_requested(self) -> None:
        """Return once ``request_stop``, ``/-/quit`` or a signal asked to stop."""
        await self._stop.wait()

    async def run(self) -> None:
        """Serve until SIGINT/SIGTERM or ``/-/quit``; SIGHUP reloads."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._stop.set)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self._reload_in_background)
        await self.start()
        try:
            await self.wait_until_stop_requested()
        finally:
            await self.stop()

    def _reload_in_background(self) -> None:
        task = asyncio.get_running_loop().create_task(self.reload())
        # The failure is logged by reload(); retrieve it so asyncio does not warn.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())


def _load_scaling(path: str | None) -> ScalingMetrics | None:
    """``--scaling.config-file``'s queries; raises ``ServerError`` with the reason."""
    if path is None:
        return None
    # Lazily: only a server with autoscaling endpoints needs the live lab's module.
    from lab.live.scaling_api import load_metrics

    try:
        return load_metrics(path)
    except LabError as exc:
        raise ServerError(f"--scaling.config-file: {exc}") from None


def _rfc3339(t: datetime) -> str:
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


def _build_info() -> dict[str, str]:
    from importlib import metadata
    from platform import python_version

    info = dict(DEFAULT_BUILD_INFO)
    with contextlib.suppress(metadata.PackageNotFoundError):
        info["revision"] = f"promlab {metadata.version('promlab')}"
    info["goVersion"] = f"python{python_version()}"
    return info
