"""Errors of the scrape package.

* ``ScrapeError`` (``LabError``) — root
  * ``RelabelConfigError`` (also ``ValueError``) — a relabel rule Prometheus would
    refuse; the text is upstream's (``relabel configuration for hashmod requires
    non-zero modulus``). The config loader re-raises it with file:line:col.
  * ``ScrapeFailedError`` — one scrape failed (HTTP status, connection, timeout,
    body too large, bad exposition text, a limit); the message is what the
    targets page shows as ``lastError``:
    * ``BodySizeLimitError`` — ``body size limit exceeded``
    * ``SampleLimitError`` — ``sample limit exceeded``
    * ``LabelLimitError`` — ``label_limit exceeded (metric: ..., ...)`` and the
      name/value length variants
  * ``TargetError`` — a discovered target cannot be scraped (``no address``,
    ``scrape timeout cannot be greater than scrape interval ...``); the target
    is dropped and the error logged
  * ``DiscoveryError`` — a service-discovery source failed (a file_sd file that
    does not parse); the previous targets are kept
"""

from __future__ import annotations

from lab.model.errors import LabError


class ScrapeError(LabError):
    """Root of the scrape package's errors."""


class RelabelConfigError(ScrapeError, ValueError):
    """An invalid relabel rule."""


class ScrapeFailedError(ScrapeError):
    """A scrape failed; the message is the target's ``last_error``."""


class BodySizeLimitError(ScrapeFailedError):
    """The (uncompressed) body reached ``body_size_limit``."""


class SampleLimitError(ScrapeFailedError):
    """More samples than ``sample_limit`` after metric relabeling."""


class LabelLimitError(ScrapeFailedError):
    """A series exceeds ``label_limit``, ``label_name_length_limit`` or
    ``label_value_length_limit``."""


class TargetError(ScrapeError):
    """A discovered target is not scrapable after relabeling."""


class DiscoveryError(ScrapeError):
    """A discovery source could not be read."""
