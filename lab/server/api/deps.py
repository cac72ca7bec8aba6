"""What the API needs from the rest of the server, as plain callables.

The composition root (``lab/server/app.py``) fills an ``ApiDeps``; the API
never imports the scrape manager, the TSDB or the configuration itself, so
each can land, change or be faked in a test without touching the handlers.
JSON-shaped values (targets, metadata, runtime info) are already in
Prometheus's shapes: the adapters in the composition root translate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lab.model.labels import Labels
from lab.server.api.query import QuerySettings
from lab.server.storage.interface import Queryable

if TYPE_CHECKING:
    from lab.server.rules.manager import RuleManager
    from lab.server.rules.notifier import Notifier

JSONDict = dict[str, Any]

#: What ``/api/v1/status/buildinfo`` says. The version is the Prometheus
#: release whose API and PromQL semantics promlab follows, so clients that
#: gate features on it (Grafana does) enable the right ones; ``revision``
#: names promlab's own version.
DEFAULT_BUILD_INFO: Mapping[str, str] = {
    "version": "3.0.0",
    "revision": "promlab",
    "branch": "main",
    "buildUser": "promlab",
    "buildDate": "",
    "goVersion": "",
}


def _empty_dict() -> JSONDict:
    return {}


def _no_labels() -> Labels:
    return Labels()


def _always() -> bool:
    return True


def _noop() -> None:
    return None


@dataclass
class ApiDeps:
    queryable: Queryable
    now_ms: Callable[[], int]
    settings: QuerySettings = field(default_factory=QuerySettings)
    external_labels: Callable[[], Labels] = _no_labels
    config_yaml: Callable[[], str] = str
    flags: Mapping[str, str] = field(default_factory=dict)
    runtime_info: Callable[[], JSONDict] = _empty_dict
    #: ``limit`` -> the ``/api/v1/status/tsdb`` data object
    tsdb_status: Callable[[int], JSONDict] | None = None
    #: -> (active, dropped) targets, each a Prometheus-shaped dict
    targets: Callable[[], tuple[list[JSONDict], list[JSONDict]]] | None = None
    #: -> {metric name: [{"type", "help", "unit"}]}
    metadata: Callable[[], dict[str, list[JSONDict]]] | None = None
    #: -> per active target: its labels and [{"metric", "type", "help", "unit"}]
    targets_metadata: Callable[[], list[tuple[Labels, list[JSONDict]]]] | None = None
    #: re-reads the configuration; raises with the reason on failure
    reload: Callable[[], Awaitable[None]] | None = None
    quit: Callable[[], None] = _noop
    lifecycle_enabled: bool = False
    admin_enabled: bool = False
    #: ``--storage.tsdb.path``: admin snapshots go to ``<it>/snapshots/<name>``
    storage_path: str = "data/"
    is_ready: Callable[[], bool] = _always
    build_info: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_BUILD_INFO))
    #: where queries run (None: the event loop's default executor)
    executor: Executor | None = None
    #: behind /api/v1/rules and /api/v1/alerts (None: no rules, empty answers)
    rule_manager: RuleManager | None = None
    #: behind /api/v1/alertmanagers (None: none configured)
    notifier: Notifier | None = None
