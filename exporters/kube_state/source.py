"""The exporter's reflectors: the shared list + watch loop in ``lab.kube.reflector``
(client-go's: paged LIST, WATCH from its resourceVersion, relist on 410 Gone,
exponential backoff with jitter), fed with this exporter's ``ResourceDef``s."""

from __future__ import annotations

from lab.kube.errors import Expired
from lab.kube.reflector import (
    BACKOFF_INITIAL,
    BACKOFF_MAX,
    PAGE_SIZE,
    WATCH_TIMEOUT_MIN,
    Counters,
    ListWatch,
    Reflector,
    Sink,
)

__all__ = [
    "BACKOFF_INITIAL",
    "BACKOFF_MAX",
    "PAGE_SIZE",
    "WATCH_TIMEOUT_MIN",
    "Counters",
    "Expired",
    "ListWatch",
    "Reflector",
    "Sink",
]
