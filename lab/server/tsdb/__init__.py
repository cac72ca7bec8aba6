"""The lab's TSDB: head (numpy columns), WAL, blocks, compaction, retention, import.

``DB.open(path, ...)`` gives an ``Appendable`` + ``Queryable`` storage; see
``db.py`` for the life cycle and ``FORMAT.md`` for the on-disk format.
"""

from lab.server.tsdb.block import BlockMeta
from lab.server.tsdb.db import DB, Clock, CompactionResult
from lab.server.tsdb.errors import (
    ClosedError,
    CorruptionError,
    ImportInputError,
    LockedError,
    OutOfBoundsError,
    TSDBError,
    WALError,
)

__all__ = [
    "DB",
    "BlockMeta",
    "Clock",
    "ClosedError",
    "CompactionResult",
    "CorruptionError",
    "ImportInputError",
    "LockedError",
    "OutOfBoundsError",
    "TSDBError",
    "WALError",
]
