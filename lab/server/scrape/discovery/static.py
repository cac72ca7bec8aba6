"""static_configs: one update with one group per entry, sources ``"0"``, ``"1"``..."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from lab.server.config import StaticConfig

from .base import ADDRESS, TargetGroup


class StaticDiscoverer:
    def __init__(self, configs: Sequence[StaticConfig]) -> None:
        self.groups = [
            TargetGroup(str(i), tuple({ADDRESS: t} for t in cfg.targets), dict(cfg.labels))
            for i, cfg in enumerate(configs)
        ]

    async def run(self) -> AsyncIterator[Sequence[TargetGroup]]:
        yield self.groups
