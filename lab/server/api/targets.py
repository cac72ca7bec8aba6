"""The scrape manager's target snapshot in ``/api/v1/targets``'s JSON shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lab.server.api.deps import JSONDict

if TYPE_CHECKING:
    from lab.server.scrape.manager import TargetsSnapshot

#: What Go prints for a zero ``time.Time``: a target not scraped yet.
NEVER = "0001-01-01T00:00:00Z"


def rfc3339_ms(ms: int | None) -> str:
    if ms is None:
        return NEVER
    t = datetime.fromtimestamp(ms / 1000, tz=UTC)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ms % 1000
    return text + (f".{frac:03d}".rstrip("0") if frac else "") + "Z"


def targets_json(snapshot: TargetsSnapshot) -> tuple[list[JSONDict], list[JSONDict]]:
    active = [
        {
            "discoveredLabels": t.discovered_labels.to_dict(),
            "labels": t.labels.to_dict(),
            "scrapePool": t.scrape_pool,
            "scrapeUrl": t.scrape_url,
            "globalUrl": t.scrape_url,
            "lastError": t.last_error,
            "lastScrape": rfc3339_ms(t.last_scrape_ms),
            "lastScrapeDuration": t.last_scrape_duration_s,
            "health": t.health.value,
            "scrapeInterval": t.scrape_interval,
            "scrapeTimeout": t.scrape_timeout,
        }
        for t in snapshot.active
    ]
    dropped = [
        {"discoveredLabels": labels.to_dict(), "scrapePool": pool}
        for labels, pool in zip(snapshot.dropped, snapshot.dropped_pools, strict=True)
    ]
    return active, dropped
