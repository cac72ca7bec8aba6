"""Errors of the TSDB package.

* ``TSDBError`` (a ``lab.server.storage.errors.StorageError``) — root: every
  error the TSDB raises on purpose
  * ``OutOfBoundsError`` — a sample older than the head's lower bound (that
    range is already in a block): ``out of bounds``
  * ``CorruptionError`` — a block file (meta, index, chunk) fails its checksum
    or does not parse; the message names the file
  * ``WALError`` — writing or syncing the write-ahead log failed; the commit
    that hit it is not acknowledged
  * ``ClosedError`` — the DB (or an appender) is used after ``close``/``commit``
  * ``LockedError`` — another process holds the data directory's lock
  * ``ImportInputError`` (also ``ValueError``) — an import file is invalid; the
    message says where (``line 3, col 14: ...``)

Sample-order errors are the storage seam's own
(``lab.server.storage.errors.OutOfOrderSampleError`` and
``DuplicateSampleError``), so callers handle every storage the same way.
"""

from __future__ import annotations

from lab.server.storage.errors import StorageError


class TSDBError(StorageError):
    """Root of the TSDB's errors; the message is for the user."""


class OutOfBoundsError(TSDBError):
    """A sample is older than the head's lower bound (``out of bounds``)."""


class CorruptionError(TSDBError):
    """A file on disk fails its checksum or does not parse."""


class WALError(TSDBError):
    """The write-ahead log could not be written or synced."""


class ClosedError(TSDBError):
    """The DB or appender was used after it was closed or finished."""


class LockedError(TSDBError):
    """The data directory is locked by another process."""


class ImportInputError(TSDBError, ValueError):
    """The file given to an import is invalid; nothing was written."""
