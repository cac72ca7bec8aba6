"""Sample values: the staleness marker and helpers to recognise it in arrays."""

from __future__ import annotations

import struct

import numpy as np
import numpy.typing as npt

#: Prometheus's staleness marker: a NaN with this exact bit pattern.
STALE_NAN_BITS = 0x7FF0000000000002
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", STALE_NAN_BITS))[0]


def is_stale(value: float) -> bool:
    return struct.pack("<d", value) == struct.pack("<Q", STALE_NAN_BITS)


def stale_mask(values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Element-wise: which values are the staleness marker (not any NaN)."""
    mask: npt.NDArray[np.bool_] = values.view(np.uint64) == np.uint64(STALE_NAN_BITS)
    return mask
