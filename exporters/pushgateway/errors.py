"""Errors of the pushgateway.

* ``PushgatewayError`` (a ``lab.model.errors.LabError``) — root
  * ``GroupingKeyError`` (also ``ValueError``) — the URL's grouping key is
    invalid (odd label components, improper label name, bad base64, empty
    job); HTTP 400, the request never reaches the store
  * ``BodyError`` (also ``ValueError``) — the body does not parse (text format
    error with its line, bad gzip, unsupported encoding); HTTP 400, the store
    is not touched
  * ``InconsistentPushError`` (also ``ValueError``) — the push would make the
    store inconsistent or carries timestamps; HTTP 400 ``pushed metrics are
    invalid or inconsistent with existing metrics: ...`` and the group's
    ``push_failure_time_seconds`` is set, as upstream
  * ``PersistenceError`` — the persistence file cannot be written; HTTP 500
    for the push that could not be made durable, or a start-up error

Messages follow upstream's texts so that scripts matching on them still work.
"""

from __future__ import annotations

from lab.model.errors import LabError


class PushgatewayError(LabError):
    """Root of the pushgateway's errors; the message is for the user."""


class GroupingKeyError(PushgatewayError, ValueError):
    """An invalid grouping key in the URL path."""


class BodyError(PushgatewayError, ValueError):
    """A push body that cannot be parsed."""


class InconsistentPushError(PushgatewayError, ValueError):
    """A push rejected by the consistency check (or carrying timestamps)."""


class PersistenceError(PushgatewayError):
    """The persistence log or snapshot cannot be written or read."""
