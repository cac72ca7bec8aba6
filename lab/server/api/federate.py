"""``/federate``: the newest sample of every series matching ``match[]``,
within the lookback window, in the text exposition format with timestamps.

Prometheus's semantics: a series whose newest sample is a staleness marker is
left out; series are grouped into ``untyped`` families by metric name; the
external labels are appended to every series that does not have them, and an
empty ``instance`` label is added where the series has none (so a federating
server keeps the series' own identity instead of adding its target's).
"""

from __future__ import annotations

from collections.abc import Sequence

from exporters.common.exposition import format_float
from lab.model.labels import METRIC_NAME, Labels
from lab.model.value import is_stale
from lab.server.api.errors import BadDataError
from lab.server.api.series import parse_matchers
from lab.server.storage.interface import Queryable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def federate(
    queryable: Queryable,
    match: Sequence[str],
    now_ms: int,
    lookback_ms: int,
    external_labels: Labels,
) -> bytes:
    """The response body; raises ``BadDataError`` for a malformed selector
    (the router answers it as plain text, as upstream)."""
    try:
        selectors = parse_matchers(match)
    except BadDataError as exc:
        # Upstream answers with the bare parse error, not the API's wrapping.
        raise BadDataError(exc.message.removeprefix('invalid parameter "match[]": ')) from None
    extra = dict(external_labels)
    extra.setdefault("instance", "")
    extra_names = sorted(extra)
    latest: dict[Labels, tuple[int, float]] = {}
    querier = queryable.querier(now_ms - lookback_ms, now_ms)
    try:
        for matchers in selectors:
            for s in querier.select(matchers):
                if s.labels in latest or s.timestamps.size == 0:
                    continue
                value = float(s.values[-1])
                if is_stale(value):
                    continue
                latest[s.labels] = (int(s.timestamps[-1]), value)
    finally:
        querier.close()
    out: list[str] = []
    family = None
    for labels in sorted(latest):
        name = labels.name
        if not name:
            continue  # upstream ignores nameless series
        if name != family:
            out.append(f"# TYPE {name} untyped\n")
            family = name
        pairs = [(n, v) for n, v in labels if n != METRIC_NAME]
        used = {n for n, _ in pairs}
        pairs += [(n, extra[n]) for n in extra_names if n not in used]
        t, v = latest[labels]
        label_text = ",".join(f'{n}="{_escape(val)}"' for n, val in pairs)
        out.append(f"{name}{{{label_text}}} {format_float(v)} {t}\n")
    return "".join(out).encode()
