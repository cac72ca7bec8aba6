"""Errors of sharding (``lab.server.sharding``).

* ``ShardingError`` (``LabError``) — root
  * ``ShardConfigError`` (also ``ValueError``) — bad ``--shard`` /
    ``--total-shards`` values or an unknown sharding mode
  * ``StoreError`` — a store of the merge querier failed; the message names
    the store (the query fails with it rather than answer with partial data)
"""

from __future__ import annotations

from lab.model.errors import LabError


class ShardingError(LabError):
    """Root of sharding errors."""


class ShardConfigError(ShardingError, ValueError):
    """Sharding was configured wrongly; the message says which flag."""


class StoreError(ShardingError):
    """One of the merged stores failed to answer."""
