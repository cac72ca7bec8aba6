"""Errors of the shared web layer.

* ``WebError`` (a ``lab.model.errors.LabError``) — root: every error this
  package raises on purpose
  * ``WebConfigError`` (also ``ValueError``) — the ``--web.config.file`` is
    missing, not YAML, has an unknown field or an invalid value; the message
    names the file and the field (``web config /etc/x.yml: tls_server_config:
    missing one of cert or cert_file``). Raised at start-up, never per request.
  * ``ListenAddressError`` (also ``ValueError``) — a ``--web.listen-address``
    that is not ``[host]:port``, or that cannot be bound

Both are start-up errors: a command prints ``str(err)`` and exits non-zero.
"""

from __future__ import annotations

from lab.model.errors import LabError


class WebError(LabError):
    """Root of the web layer's errors; the message is for the user."""


class WebConfigError(WebError, ValueError):
    """An invalid ``--web.config.file``."""


class ListenAddressError(WebError, ValueError):
    """An invalid or unbindable ``--web.listen-address``."""
