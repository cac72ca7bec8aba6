"""file_sd_configs: target groups from JSON/YAML files matched by globs.

Files are polled (mtime, size) every ``watch_interval_ms`` on the injected
clock and all re-read every ``refresh_interval``; a changed file sends its
groups (sources ``<path>:<index>``, label ``__meta_filepath``), a removed
file or a shorter file sends empty groups for what is gone. A file that does
not parse is logged and its previous groups are kept, as upstream.

File format (as Prometheus)::

    [{"targets": ["host:9100"], "labels": {"env": "prod"}}]
"""

from __future__ import annotations

import glob
import json
import logging
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

import yaml

from lab.clock import Clock
from lab.model.labels import is_legacy_label_name
from lab.server.config import FileSDConfig

from ..errors import DiscoveryError
from .base import ADDRESS, TargetGroup

log = logging.getLogger(__name__)

META_FILEPATH = "__meta_filepath"


def read_groups(path: str) -> list[TargetGroup]:
    """Parse one file; raises ``DiscoveryError`` naming the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        data: Any
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise DiscoveryError(f"error reading {path}: {exc}") from None
    if data is None:
        data = []
    if not isinstance(data, list):
        raise DiscoveryError(f"error reading {path}: expected a list of target groups")
    groups = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) - {"targets", "labels"}:
            raise DiscoveryError(
                f"error reading {path}: group {i} must have only 'targets' and 'labels'"
            )
        targets = item.get("targets") or []
        labels = item.get("labels") or {}
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise DiscoveryError(f"error reading {path}: group {i}: targets must be strings")
        if not isinstance(labels, dict):
            raise DiscoveryError(f"error reading {path}: group {i}: labels must be a map")
        for name, value in labels.items():
            if not isinstance(name, str) or not is_legacy_label_name(name):
                raise DiscoveryError(f'error reading {path}: "{name}" is not a valid label name')
            if not isinstance(value, str):
                raise DiscoveryError(f"error reading {path}: label {name} value must be a string")
        group_labels = {**labels, META_FILEPATH: path}
        groups.append(
            TargetGroup(f"{path}:{i}", tuple({ADDRESS: t} for t in targets), group_labels)
        )
    return groups


class FileDiscoverer:
    def __init__(self, cfg: FileSDConfig, clock: Clock, *, watch_interval_ms: int = 1000) -> None:
        self.cfg = cfg
        self.clock = clock
        self.watch_interval_ms = min(watch_interval_ms, cfg.refresh_interval_ms)
        self._stats: dict[str, tuple[int, int]] = {}
        self._counts: dict[str, int] = {}

    def _paths(self) -> list[str]:
        found: set[str] = set()
        for pattern in self.cfg.files:
            found.update(p for p in glob.glob(pattern) if os.path.isfile(p))
        return sorted(found)

    def poll(self, *, refresh: bool) -> list[TargetGroup]:
        """One look at the files: the groups that changed since the last look."""
        update: list[TargetGroup] = []
        paths = self._paths()
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                continue
            stat = (st.st_mtime_ns, st.st_size)
            if not refresh and self._stats.get(path) == stat:
                continue
            self._stats[path] = stat
            try:
                groups = read_groups(path)
            except DiscoveryError as exc:
                log.error("file_sd: %s (keeping the previous targets)", exc)
                continue
            update.extend(groups)
            update.extend(
                TargetGroup(f"{path}:{i}") for i in range(len(groups), self._counts.get(path, 0))
            )
            self._counts[path] = len(groups)
        for path in set(self._counts) - set(paths):
            update.extend(TargetGroup(f"{path}:{i}") for i in range(self._counts.pop(path)))
            self._stats.pop(path, None)
        return update

    async def run(self) -> AsyncIterator[Sequence[TargetGroup]]:
        yield self.poll(refresh=True)
        next_refresh = self.clock.now_ms() + self.cfg.refresh_interval_ms
        while True:
            await self.clock.sleep(self.watch_interval_ms / 1000)
            refresh = self.clock.now_ms() >= next_refresh
            if refresh:
                next_refresh = self.clock.now_ms() + self.cfg.refresh_interval_ms
            update = self.poll(refresh=refresh)
            if update:
                yield update
