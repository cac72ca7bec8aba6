"""Just enough cron to compute a CronJob's next schedule time: five fields
(minute hour day-of-month month day-of-week) with ``*``, lists, ranges,
steps and names, plus the ``@hourly``-style macros, in UTC (or ``timeZone``
when the system knows it). Day-of-month and day-of-week combine with OR when
both are restricted, as in Vixie cron and robfig/cron."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NAMES = {
    3: {
        m: i + 1
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
    4: {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


class CronError(ValueError):
    pass


def _field(text: str, index: int) -> frozenset[int]:
    lo, hi = _BOUNDS[index]
    names = _NAMES.get(index, {})
    out: set[int] = set()

    def val(t: str) -> int:
        t = t.lower()
        if t in names:
            return names[t]
        if not t.isdigit():
            raise CronError(f"bad value {t!r}")
        return int(t)

    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1
        if step_text and not (step_text.isdigit() and int(step_text) > 0):
            raise CronError(f"bad step {step_text!r}")
        if rng in ("*", "?"):
            a, b = lo, hi
        elif "-" in rng:
            a_text, b_text = rng.split("-", 1)
            a, b = val(a_text), val(b_text)
        else:
            a = val(rng)
            b = hi if step_text else a
        if a < lo or b > hi or a > b:
            raise CronError(f"{part!r} out of range {lo}-{hi}")
        out.update(range(a, b + 1, step))
    if index == 4 and 7 in out:
        out.discard(7)
        out.add(0)
    return frozenset(out)


def parse(schedule: str) -> tuple[frozenset[int], ...]:
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        raise CronError("time zones go in spec.timeZone")
    text = MACROS.get(text, text)
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected 5 fields, got {len(fields)}")
    return tuple(_field(f, i) for i, f in enumerate(fields))


def next_after(schedule: str, after: float, tz: str = "") -> float:
    """The first scheduled time strictly after ``after`` (unix seconds)."""
    minutes, hours, doms, months, dows = parse(schedule)
    try:
        zone = ZoneInfo(tz) if tz else UTC
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone {tz!r}") from None
    t = datetime.fromtimestamp(after, zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
    dom_star, dow_star = len(doms) == 31, len(dows) == 7
    limit = t + timedelta(days=366 * 5)
    while t < limit:
        if t.month not in months:
            t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            continue
        dom_ok, dow_ok = t.day in doms, (t.weekday() + 1) % 7 in dows
        day_ok = (dom_ok and dow_ok) if (dom_star or dow_star) else (dom_ok or dow_ok)
        if not day_ok:
            t = t.replace(hour=0, minute=0) + timedelta(days=1)
            continue
        if t.hour not in hours:
            t = t.replace(minute=0) + timedelta(hours=1)
            continue
        if t.minute not in minutes:
            t += timedelta(minutes=1)
            continue
        return t.timestamp()
    raise CronError("no matching time within five years")
