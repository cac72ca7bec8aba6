"""Storage errors.

* StorageError (LabError) — root
  * OutOfOrderSampleError — a sample older than the series' newest one
  * DuplicateSampleError — same timestamp, different value
"""

from lab.model.errors import LabError


class StorageError(LabError):
    """Root of storage errors."""


class OutOfOrderSampleError(StorageError):
    """A sample is older than the newest sample of its series (``out of order sample``)."""


class DuplicateSampleError(StorageError):
    """A sample repeats a timestamp with a different value (``duplicate sample for timestamp``)."""
