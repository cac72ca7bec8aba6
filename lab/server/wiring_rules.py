"""Rules and alerting as the server runs them: the composition root's helper.

``RulesWiring`` owns the ``RuleManager`` (rule files, evaluation, for-state
restore) and the ``Notifier`` (delivery to Alertmanager) and applies a
configuration to both, all or nothing::

    rules = RulesWiring(appendable, queryable, clock, settings,
                        config_file="prometheus.yml", external_url=url)
    rules.apply(config)        # RulesConfigError: nothing changed
    await rules.start()        # evaluation and delivery tasks
    ...
    rules.apply(new_config)    # reload: unchanged rules keep their alerts
    await rules.stop()

``config`` is ``lab.server.config.Config``. The manager restores the
for-state of every group it has not run before from ``ALERTS_FOR_STATE``
after the group's first evaluation, so a restart over the same TSDB keeps
pending alerts' ``activeAt`` (upstream's RestoreForState).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lab.clock import Clock
from lab.model.errors import LabError
from lab.server.promql.engine import Engine
from lab.server.rules.errors import RuleFileError
from lab.server.rules.manager import RuleManager
from lab.server.rules.notifier import Notifier, targets_from_config
from lab.server.rules.rule import engine_query_func
from lab.server.storage.interface import Appendable, Queryable

if TYPE_CHECKING:
    from lab.server.api.query import QuerySettings
    from lab.server.config import Config

log = logging.getLogger(__name__)


class RulesConfigError(LabError):
    """Rule files or the ``alerting`` section cannot be applied; ``str()`` is
    Prometheus's reload error, ``details`` says why (one line per problem)."""

    def __init__(self, config_file: str, details: list[str]) -> None:
        self.details = details
        super().__init__(
            "one or more errors occurred while applying the new configuration "
            f'(--config.file="{config_file}")'
        )


class RulesWiring:
    def __init__(
        self,
        appendable: Appendable,
        queryable: Queryable,
        clock: Clock,
        settings: QuerySettings,
        *,
        config_file: str,
        external_url: str = "",
    ) -> None:
        self.config_file = config_file
        engine = Engine(
            max_samples=settings.max_samples,
            timeout_s=settings.timeout_s,
            lookback_delta_ms=settings.lookback_delta_ms,
        )
        self.notifier = Notifier([])
        self.manager = RuleManager(
            query=engine_query_func(engine, queryable),
            appendable=appendable,
            queryable=queryable,
            clock=clock,
            notify=self.notifier.send,
            external_url=external_url,
        )
        self._tasks: list[asyncio.Task[None]] = []

    def apply(self, config: Config) -> None:
        """Load ``config.rule_files`` and point delivery at ``config.alerting``;
        on any problem raise ``RulesConfigError`` with the manager and the
        notifier exactly as they were."""
        try:
            targets = targets_from_config(config.alerting)
        except (LabError, ValueError, TypeError, AttributeError) as exc:
            # the alerting section is kept as plain data: any shape may arrive
            raise RulesConfigError(self.config_file, [f"alerting: {exc}"]) from None
        ext: Mapping[str, str] = config.global_config.external_labels.to_dict()
        m = self.manager
        before = (m.external_labels, m.default_interval_ms, m.default_query_offset_ms)
        # Groups are built with these at load time, so they are set first and
        # put back if the rule files do not load.
        m.external_labels = dict(ext)
        m.default_interval_ms = config.global_config.evaluation_interval_ms
        m.default_query_offset_ms = config.global_config.rule_query_offset_ms
        try:
            m.load(list(config.rule_files))
        except RuleFileError as exc:
            m.external_labels, m.default_interval_ms, m.default_query_offset_ms = before
            for problem in exc.problems:
                log.error("loading rule files failed: %s", problem)
            raise RulesConfigError(self.config_file, exc.problems) from None
        self.notifier.targets = targets
        self.notifier.external_labels = dict(ext)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.manager.run(), name="rules"),
            asyncio.create_task(self.notifier.run(), name="notifier"),
        ]

    async def stop(self) -> None:
        await self.manager.stop()
        self.notifier.stop()
        tasks, self._tasks = self._tasks, []
        if tasks:
            # the notifier may be mid-post to an unreachable Alertmanager
            _, pending = await asyncio.wait(tasks, timeout=5.0)
            for t in pending:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
