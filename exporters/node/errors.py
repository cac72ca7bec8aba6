"""Errors of the node exporter.

* ``NodeExporterError`` (a ``lab.model.errors.LabError``) — root: every error
  this package raises on purpose
  * ``CollectorError`` — a collector could not produce its families (a file is
    missing or malformed); the scrape carries on and reports
    ``node_scrape_collector_success{collector="X"} 0``
    * ``NoDataError`` — the data source does not exist on this host (no
      conntrack module, no PSI); upstream logs these at debug level only
  * ``FilterError`` (also ``ValueError``) — a ``collect[]`` query names an
    unknown or disabled collector; the message is upstream's 400 body
  * ``OptionsError`` (also ``ValueError``) — flags that cannot be combined or a
    regex that does not compile
"""

from __future__ import annotations

from lab.model.errors import LabError


class NodeExporterError(LabError):
    """Root of the node exporter's deliberate errors."""


class CollectorError(NodeExporterError):
    """One collector failed; the others are unaffected."""


class NoDataError(CollectorError):
    """The collector's data source does not exist on this host."""


class FilterError(NodeExporterError, ValueError):
    """``collect[]`` names a collector that is unknown or not enabled."""


class OptionsError(NodeExporterError, ValueError):
    """Invalid or conflicting collector flags."""
