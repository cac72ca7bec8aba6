"""Go's duration spellings: Prometheus's ``model.Duration`` (``1h30m``, ``1d``)
and Go's ``time.Duration.String()`` (``1h30m0s``, ``1.5s``)."""

from __future__ import annotations

_UNITS = (
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
)


def model_duration(ms: int) -> str:
    """``model.Duration.String()``: largest units first, ``0s`` for zero."""
    if ms == 0:
        return "0s"
    out: list[str] = []
    rest = abs(ms)
    for unit, size in _UNITS:
        n, rest = divmod(rest, size)
        if n:
            out.append(f"{n}{unit}")
    return ("-" if ms < 0 else "") + "".join(out)


def go_duration(ms: int) -> str:
    """``time.Duration.String()`` for a whole number of milliseconds."""
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    if ms < 1000:
        return f"{sign}{ms}ms"
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, frac = divmod(rem, 1000)
    sec = str(s) + (f".{frac:03d}".rstrip("0") if frac else "") + "s"
    if h:
        return f"{sign}{h}h{m}m{sec}"
    if m:
        return f"{sign}{m}m{sec}"
    return sign + sec
