"""Helpers shared by the TSDB tests."""

from __future__ import annotations


class FakeClock:
    """A clock tests move by hand (seconds)."""

    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


def openmetrics_text(series: list[tuple[object, list[int], list[float]]]) -> str:
    """An OpenMetrics file of ``(labels, timestamps_ms, values)``, one family per
    metric name (no TYPE line: ``unknown``), samples series by series."""
    from exporters.common.exposition.numbers import (
        format_float_openmetrics,
        format_seconds_timestamp,
    )
    from lab.model.labels import Labels

    lines = []
    for labels, ts, vs in sorted(series, key=lambda s: s[0]):  # type: ignore[arg-type,return-value]
        assert isinstance(labels, Labels)
        name = labels.name
        rest = ",".join(f'{n}="{v}"' for n, v in labels.without_name())
        head = f"{name}{{{rest}}}" if rest else name
        lines.extend(
            f"{head} {format_float_openmetrics(v)} {format_seconds_timestamp(t)}"
            for t, v in zip(ts, vs, strict=True)
        )
    return "\n".join([*lines, "# EOF", ""])
