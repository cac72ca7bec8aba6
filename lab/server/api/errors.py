"""Errors of the HTTP API, each carrying Prometheus's ``errorType`` and status.

* ApiError (LabError) — root; ``error_type`` and ``status`` are what the JSON
  error body (``{"status":"error","errorType":...,"error":...}``) and the HTTP
  status line say
  * BadDataError — ``bad_data``, 400: a malformed parameter or query
  * ExecutionError — ``execution``, 422: a valid query that cannot be evaluated
    (including the ``--query.max-samples`` limit, as upstream)
  * TimeoutError_ — ``timeout``, 503: ``--query.timeout`` or ``timeout=`` hit
  * CanceledError — ``canceled``, 503: the client went away
  * NotFoundError — ``not_found``, 404
  * UnavailableError — ``unavailable``: e.g. the admin API when disabled
    (upstream answers that one with a 500, so the status is per instance)
  * InternalError — ``internal``, 500: a bug or a storage failure; the message
    never carries a traceback
"""

from __future__ import annotations

from lab.model.errors import LabError


class ApiError(LabError):
    error_type = "internal"
    status = 500

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadDataError(ApiError):
    error_type = "bad_data"
    status = 400


class ExecutionError(ApiError):
    error_type = "execution"
    status = 422


class TimeoutError_(ApiError):  # named apart from the builtin TimeoutError
    error_type = "timeout"
    status = 503


class CanceledError(ApiError):
    error_type = "canceled"
    status = 503


class NotFoundError(ApiError):
    error_type = "not_found"
    status = 404


class UnavailableError(ApiError):
    error_type = "unavailable"
    status = 503


class InternalError(ApiError):
    error_type = "internal"
    status = 500


def invalid_param(name: str, message: str) -> BadDataError:
    """Upstream's ``invalid parameter "name": message``."""
    return BadDataError(f'invalid parameter "{name}": {message}')
