"""Errors of the server configuration (``lab.server.config``).

* ``ConfigError`` (``LabError``, ``ValueError``) — the configuration file cannot be
  used; nothing was applied. The message names the file, line and column and
  uses Prometheus's wording where there is one::

      prometheus.yml:7:5: field scrape_intervall not found in type config.plain

  * ``ConfigSyntaxError`` — not YAML at all (the YAML parser's own message)
  * ``ConfigValueError`` — YAML, but a field has the wrong type, an unknown
    name or a value Prometheus would refuse (durations, relabel rules,
    duplicate job names, timeout > interval ...)
"""

from __future__ import annotations

from lab.model.errors import LabError


class ConfigError(LabError, ValueError):
    """The configuration was refused; ``file``, ``line`` and ``column`` (1-based) say
    where (``line``/``column`` are 0 when the problem is not at one place)."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, column: int = 0) -> None:
        self.reason = message
        self.file = file
        self.line = line
        self.column = column
        where = ":".join(str(p) for p in (file, line or None, column or None) if p)
        super().__init__(f"{where}: {message}" if where else message)


class ConfigSyntaxError(ConfigError):
    """The file is not valid YAML."""


class ConfigValueError(ConfigError):
    """A value or field the configuration does not accept."""
