"""timex: kernel clock discipline state from adjtimex(2) (read-only, no privilege).

Units follow the kernel: offset and jitter are in ns when ``STA_NANO`` is set,
else µs; maxerror, esterror and tick in µs; freq, ppsfreq and stabil in ppm
with a 16-bit fraction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from prometheus_client.metrics_core import Metric

from ..errors import NoDataError
from ..options import NodeOptions
from ..source import NodeSource
from .families import counter, gauge

STA_NANO: Final = 0x2000
TIME_ERROR: Final = 5
PPM16FRAC: Final = 1_000_000.0 * 65536.0
MICROSECONDS: Final = 1_000_000.0
NANOSECONDS: Final = 1_000_000_000.0


class TimexCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        try:
            tx = self.source.adjtimex()
        except PermissionError:
            raise NoDataError("timex: adjtimex not permitted") from None
        divisor = NANOSECONDS if tx.status & STA_NANO else MICROSECONDS
        yield gauge(
            "node_timex_offset_seconds",
            "Time offset in between local system and reference clock.",
            tx.offset / divisor,
        )
        yield gauge(
            "node_timex_frequency_adjustment_ratio",
            "Local clock frequency adjustment.",
            1 + tx.freq / PPM16FRAC,
        )
        yield gauge(
            "node_timex_maxerror_seconds", "Maximum error in seconds.", tx.maxerror / MICROSECONDS
        )
        yield gauge(
            "node_timex_estimated_error_seconds",
            "Estimated error in seconds.",
            tx.esterror / MICROSECONDS,
        )
        yield gauge("node_timex_status", "Value of the status array bits.", float(tx.status))
        yield gauge(
            "node_timex_loop_time_constant", "Phase-locked loop time constant.", float(tx.constant)
        )
        yield gauge(
            "node_timex_tick_seconds", "Seconds between clock ticks.", tx.tick / MICROSECONDS
        )
        yield gauge(
            "node_timex_pps_frequency_hertz", "Pulse per second frequency.", tx.ppsfreq / PPM16FRAC
        )
        yield gauge(
            "node_timex_pps_jitter_seconds", "Pulse per second jitter.", tx.jitter / divisor
        )
        yield gauge(
            "node_timex_pps_shift_seconds", "Pulse per second interval duration.", float(tx.shift)
        )
        yield gauge(
            "node_timex_pps_stability_hertz",
            "Pulse per second stability, average of recent frequency changes.",
            tx.stabil / PPM16FRAC,
        )
        yield counter(
            "node_timex_pps_jitter_total",
            "Pulse per second count of jitter limit exceeded events.",
            float(tx.jitcnt),
        )
        yield counter(
            "node_timex_pps_calibration_total",
            "Pulse per second count of calibration intervals.",
            float(tx.calcnt),
        )
        yield counter(
            "node_timex_pps_error_total",
            "Pulse per second count of calibration errors.",
            float(tx.errcnt),
        )
        yield counter(
            "node_timex_pps_stability_exceeded_total",
            "Pulse per second count of stability limit exceeded events.",
            float(tx.stbcnt),
        )
        yield gauge(
            "node_timex_tai_offset_seconds",
            "International Atomic Time (TAI) offset.",
            float(tx.tai),
        )
        yield gauge(
            "node_timex_sync_status",
            "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
            0.0 if tx.state == TIME_ERROR else 1.0,
        )


def build(source: NodeSource, options: NodeOptions) -> TimexCollector:
    return TimexCollector(source)
