"""Errors of the simulated cluster, each carrying the Kubernetes ``Status`` it
answers with (so the REST layer never invents codes or reasons of its own).

* ClusterError — root (a LabError); ``code``/``reason`` are the HTTP status and
  the ``Status.reason`` the real API server uses
  * BadRequest (400, BadRequest) — unparsable body, selector, query parameter
  * NotFound (404, NotFound) — no such object, namespace or resource type
  * MethodNotAllowed (405, MethodNotAllowed) — verb not served on that path
  * AlreadyExists (409, AlreadyExists) — create of an existing name
  * Conflict (409, Conflict) — update with a stale ``metadata.resourceVersion``
  * Gone (410, Expired) — a watch or continue token older than the history kept
  * UnsupportedMediaType (415, UnsupportedMediaType) — patch type we do not do
  * Invalid (422, Invalid) — an object that fails validation
"""

from __future__ import annotations

from typing import Any, ClassVar

from lab.model.errors import LabError


class ClusterError(LabError):
    """Root of the simulated cluster's errors; renders as a Kubernetes Status."""

    code: ClassVar[int] = 500
    reason: ClassVar[str] = "InternalError"

    def __init__(self, message: str, *, kind: str = "", name: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.name = name

    def status(self) -> dict[str, Any]:
        """The ``meta/v1 Status`` body for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.kind or self.name:
            details: dict[str, str] = {}
            if self.name:
                details["name"] = self.name
            if self.kind:
                details["kind"] = self.kind
            body["details"] = details
        return body


class BadRequest(ClusterError):
    code = 400
    reason = "BadRequest"


class NotFound(ClusterError):
    code = 404
    reason = "NotFound"


class MethodNotAllowed(ClusterError):
    code = 405
    reason = "MethodNotAllowed"


class AlreadyExists(ClusterError):
    code = 409
    reason = "AlreadyExists"


class Conflict(ClusterError):
    code = 409
    reason = "Conflict"


class Gone(ClusterError):
    code = 410
    reason = "Expired"


class UnsupportedMediaType(ClusterError):
    code = 415
    reason = "UnsupportedMediaType"


class Invalid(ClusterError):
    code = 422
    reason = "Invalid"
