"""Errors of remote write / remote read (``lab.server.remote``).

* ``RemoteError`` (``LabError``) — root: every error this package raises on purpose
  * ``DecodeError`` (also ``ValueError``) — a request or response body is not
    what the protocol says: bad snappy, bad protobuf, wrong content type,
    native histograms we cannot store. The receiver answers 400 with the
    message and appends nothing.
  * ``RemoteConfigError`` (also ``ConfigValueError``) — a ``remote_write`` /
    ``remote_read`` section is invalid; the message names the field
  * ``SendError`` — one remote-write request failed
    * ``RecoverableSendError`` — worth retrying (5xx, 429 when
      ``retry_on_http_429``, network errors, timeouts)
    * ``UnrecoverableSendError`` — retrying cannot help (other 4xx); the batch
      is dropped and counted
  * ``RemoteReadError`` — a remote-read endpoint failed or answered garbage;
    the querier reports it as the query's error
  * ``QueueLogError`` — the remote-write queue's log or position file is
    unusable (not the same as a torn tail, which is repaired with a warning)
"""

from __future__ import annotations

from lab.model.errors import LabError
from lab.server.config_errors import ConfigValueError


class RemoteError(LabError):
    """Root of remote write / read errors; the message is for the user."""


class DecodeError(RemoteError, ValueError):
    """A body does not decode as the remote protocol says (answered 400)."""


class RemoteConfigError(RemoteError, ConfigValueError):
    """A remote_write / remote_read configuration section is invalid."""


class SendError(RemoteError):
    """A remote-write request failed."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class RecoverableSendError(SendError):
    """A failure worth retrying with backoff."""

    def __init__(self, message: str, status: int = 0, retry_after_s: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after_s = retry_after_s


class UnrecoverableSendError(SendError):
    """A failure retrying cannot fix; the batch is dropped."""


class RemoteReadError(RemoteError):
    """A remote-read endpoint failed or answered something we cannot read."""


class QueueLogError(RemoteError):
    """The remote-write queue's log or position file cannot be used."""
