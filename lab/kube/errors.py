"""Errors of the shared Kubernetes client code.

* KubeError — root (a LabError)
  * KubeApiError — the API server answered a list or watch with an error
    (reflectors retry these with backoff)
    * Expired — 410 Gone: the resourceVersion or continue token is compacted;
      reflectors relist at once
"""

from __future__ import annotations

from lab.model.errors import LabError


class KubeError(LabError):
    """Root of the shared Kubernetes client code's deliberate errors."""


class KubeApiError(KubeError):
    """Listing or watching the API server failed."""


class Expired(KubeApiError):
    """410 Gone: relist."""
