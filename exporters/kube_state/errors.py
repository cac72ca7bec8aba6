"""Errors of the kube-state exporter.

* KubeStateError — root (a LabError)
  * ConfigError — bad flags: unknown resource, bad allowlist syntax, bad regex,
    both --metric-allowlist and --metric-denylist, shard >= total-shards
  * SourceError — the API server could not be reached or answered with an error
    (reflectors retry these with backoff; they surface only at startup)
"""

from __future__ import annotations

from lab.model.errors import LabError


class KubeStateError(LabError):
    """Root of the kube-state exporter's deliberate errors."""


class ConfigError(KubeStateError, ValueError):
    """A flag value is invalid; the message names the flag."""


class SourceError(KubeStateError):
    """Listing or watching the API server failed."""
