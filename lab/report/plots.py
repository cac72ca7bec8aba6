"""The report's PNGs, drawn with matplotlib's object API on the Agg canvas
(no pyplot: no global figure state, no display needed). matplotlib is
imported inside each function so importing this module stays cheap."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from lab.report.model import AlertInterval, ExpectedAlert, FaultWindow
from lab.server.ui.plan import PlottedSeries

DPI = 80
COLORS = ("#2f6fdb", "#e8743b", "#19a979", "#ed4a7b", "#945ecf", "#13a4b4", "#d6a100",
          "#6c8893", "#c33c54", "#5899da")  # fmt: skip
FAULT = "#c62828"
PENDING = "#f0b429"
FIRING = "#d64545"
EXPECTED = "#19a979"
#: legend entries per panel plot; the rest are drawn, not named
MAX_LEGEND = 8


def _figure(width_in: float, height_in: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), dpi=DPI)


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _time_axis(ax: Any, start_ms: int, end_ms: int) -> None:
    import matplotlib.dates as mdates

    ax.set_xlim(_dt(start_ms), _dt(end_ms))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))  # type: ignore[no-untyped-call]
    ax.tick_params(labelsize=8)
    ax.grid(True, color="#e9ecf0", linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _dt(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _fault_marks(ax: Any, faults: Sequence[FaultWindow], end_ms: int) -> None:
    for f in faults:
        ax.axvspan(_dt(f.onset_ms), _dt(f.end_ms or end_ms), color=FAULT, alpha=0.06, lw=0)
        ax.axvline(_dt(f.onset_ms), color=FAULT, lw=0.8, ls="--")


def timeline_png(
    faults: Sequence[FaultWindow], start_ms: int, end_ms: int, baseline_end_ms: int | None
) -> str:
    rows = max(len(faults), 1)
    fig = _figure(14, 0.6 + 0.45 * rows)
    ax = fig.add_axes(
        (0.2, 0.6 / (0.6 + 0.45 * rows) + 0.02, 0.77, 0.45 * rows / (0.6 + 0.45 * rows) - 0.04)
    )
    if baseline_end_ms is not None:
        ax.axvspan(_dt(start_ms), _dt(baseline_end_ms), color="#9aa4b2", alpha=0.15, lw=0)
        ax.text(_dt(start_ms), rows - 0.5, " baseline", va="center", fontsize=8, color="#6b7280")
    for i, f in enumerate(faults):
        y = rows - 1 - i
        end = f.end_ms if f.end_ms is not None else end_ms
        ax.barh(
            y, _dt(end) - _dt(f.onset_ms), left=_dt(f.onset_ms), height=0.5, color=FAULT, alpha=0.75
        )
        ax.plot([_dt(f.onset_ms)], [y], marker="|", color="black", ms=12)
        if f.end_ms is not None:
            ax.plot([_dt(f.end_ms)], [y], marker="|", color="black", ms=12)
    ax.set_yticks(range(rows))
    ax.set_yticklabels(
        [f"{f.name} ({f.target}.{f.knob})" for f in reversed(faults)] or [""], fontsize=8
    )
    ax.set_ylim(-0.6, rows - 0.4)
    _time_axis(ax, start_ms, end_ms)
    return _png(fig)


def panel_png(
    title: str,
    series: Sequence[PlottedSeries],
    unit: str,
    faults: Sequence[FaultWindow],
    start_ms: int,
    end_ms: int,
) -> str:
    import numpy as np

    fig = _figure(5.6, 2.6)
    ax = fig.add_axes((0.13, 0.14, 0.84, 0.74))
    ax.set_title(title, fontsize=9, loc="left")
    _fault_marks(ax, faults, end_ms)
    for i, s in enumerate(series):
        ts = np.asarray(s.timestamps, dtype="datetime64[ms]")
        ax.plot(
            ts,
            s.values,
            lw=1.1,
            color=COLORS[i % len(COLORS)],
            label=s.name if i < MAX_LEGEND else None,
        )
    if not series:
        ax.text(0.5, 0.5, "No data", transform=ax.transAxes, ha="center", color="#6b7280")
    elif len(series) > 1:
        ax.legend(fontsize=6, loc="upper left", frameon=False, ncols=2)
    _time_axis(ax, start_ms, end_ms)
    _unit_axis(ax, unit)
    return _png(fig)


def _unit_axis(ax: Any, unit: str) -> None:
    from matplotlib.ticker import EngFormatter, FuncFormatter, PercentFormatter

    if unit == "percentunit":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    elif unit == "percent":
        ax.yaxis.set_major_formatter(PercentFormatter(100.0))
    elif unit in ("bytes", "decbytes"):
        ax.yaxis.set_major_formatter(FuncFormatter(_iec))
    elif unit in ("s", "reqps", "ops", "pps", "Bps", "bps", "short", ""):
        suffix = {"s": "s", "reqps": "req/s", "ops": "ops/s", "pps": "p/s", "Bps": "B/s",
                  "bps": "b/s"}.get(unit, "")  # fmt: skip
        ax.yaxis.set_major_formatter(
            EngFormatter(unit=suffix, places=None, sep=" " if suffix else "")
        )


def _iec(v: float, _pos: object = None) -> str:
    for size, name in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(v) >= size:
            return f"{v / size:.3g} {name}"
    return f"{v:.3g} B"


def alerts_png(
    alerts: Sequence[AlertInterval],
    expectations: Sequence[ExpectedAlert],
    faults: Sequence[FaultWindow],
    start_ms: int,
    end_ms: int,
) -> str:
    """One row per alert instance (and per expectation nothing matched):
    pending in amber, firing in red, the expected firing window in green
    (a missed one hatched red), the resolve-by deadline as a tick."""
    rows: list[tuple[str, list[AlertInterval], list[ExpectedAlert]]] = []
    keyed: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for a in sorted(alerts, key=lambda a: (a.pending_ms, a.alert)):
        key = (a.alert, tuple(sorted(a.labels.items())))
        if key not in keyed:
            keyed[key] = len(rows)
            shown = {k: v for k, v in a.labels.items() if k not in ("alertname", "severity")}
            inner = ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))
            rows.append((f"{a.alert}{{{inner}}}" if inner else a.alert, [], []))
        rows[keyed[key]][1].append(a)
    for e in expectations:
        placed = False
        for _label, intervals, exp in rows:
            if intervals and intervals[0].matches(e.alert, e.labels):
                exp.append(e)
                placed = True
        if not placed:
            rows.append((e.title() + "  (expected)", [], [e]))
    n = max(len(rows), 1)
    height = 0.7 + 0.38 * n
    fig = _figure(14, height)
    ax = fig.add_axes((0.28, 0.55 / height, 0.69, (0.38 * n) / height))
    _fault_marks(ax, faults, end_ms)
    for i, (_label, intervals, exp) in enumerate(rows):
        y = n - 1 - i
        for e in exp:
            missed = e.outcome(alerts) != "ok"
            ax.barh(
                y,
                _dt(e.window_end_ms) - _dt(e.window_start_ms),
                left=_dt(e.window_start_ms),
                height=0.8,
                color=FIRING if missed else EXPECTED,
                alpha=0.18,
                hatch="///" if missed else None,
                edgecolor=FIRING if missed else EXPECTED,
                lw=1.2 if missed else 0.6,
            )
            if e.resolve_by_ms is not None:
                ax.plot([_dt(e.resolve_by_ms)], [y], marker="|", ms=14, color=EXPECTED, mew=2)
        for a in intervals:
            fired = a.fired_ms if a.fired_ms is not None else (a.resolved_ms or end_ms)
            ax.barh(
                y,
                _dt(fired) - _dt(a.pending_ms),
                left=_dt(a.pending_ms),
                height=0.45,
                color=PENDING,
            )
            if a.fired_ms is not None:
                ax.barh(
                    y,
                    _dt(a.resolved_ms or end_ms) - _dt(a.fired_ms),
                    left=_dt(a.fired_ms),
                    height=0.45,
                    color=FIRING,
                )
    ax.set_yticks(range(n))
    labels = [r[0] for r in reversed(rows)] or ["(no alerts)"]
    ax.set_yticklabels(labels, fontsize=8)
    for tick, row in zip(ax.get_yticklabels(), list(reversed(rows)), strict=False):
        if any(e.outcome(alerts) != "ok" for e in row[2]):
            tick.set_color(FIRING)
            tick.set_fontweight("bold")
    ax.set_ylim(-0.6, n - 0.4)
    _time_axis(ax, start_ms, end_ms)
    return _png(fig)
