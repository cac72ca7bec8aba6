"""Storage errors.

* StorageError (LabError) — root
  * OutOfOrderSampleError — a sample older than the series' newest one
  * DuplicateSampleError — same timestamp, different value
  * UnknownSeriesError — a series reference the storage does not hold (any more)
"""

from lab.model.errors import LabError


class StorageError(LabError):
    """Root of storage errors."""


class OutOfOrderSampleError(StorageError):
    """A sample is older than the newest sample of its series (``out of order sample``)."""


class DuplicateSampleError(StorageError):
    """A sample repeats a timestamp with a different value (``duplicate sample for timestamp``)."""


class UnknownSeriesError(StorageError):
    """``BatchAppender.append_batch`` got a reference to a series not held (any more)."""
