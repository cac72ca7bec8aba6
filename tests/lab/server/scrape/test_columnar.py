"""The scrape loop's columnar paths (``BatchAppender``): a steady scrape goes in
with one ``append_batch``, a repeat of the same series reuses the last one's
references; the answers are those of the sample-by-sample path."""

from __future__ import annotations

from pathlib import Path

from lab.clock import VirtualClock
from lab.server.config import loads
from lab.server.scrape.manager import ScrapeManager
from lab.server.scrape.scraper import ScrapeRequest, ScrapeResponse
from lab.server.tsdb import DB
from tests.lab.server.scrape.fixtures import run
from tests.lab.server.scrape.test_loop import lab, target_labels


class Canned:
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def scrape(self, request: ScrapeRequest) -> ScrapeResponse:
        return ScrapeResponse(self.body, "text/plain; version=0.0.4")


def test_repeats_then_a_series_goes_and_the_order_changes() -> None:
    async def body() -> None:
        async with lab(b'a 1\nb{x="1"} 2\ndrop_me 3\n') as lb:
            await lb.configure(
                "metric_relabel_configs:\n"
                "  - {source_labels: [__name__], regex: 'drop_.*', action: drop}"
            )
            for k in range(4):  # 0: new series, 1: columns, 2-3: repeats
                await lb.scrape_at(k)
            [loop] = lb.manager.loops()
            assert loop._repeat is not None
            lb.expo.body = b"drop_me 3\na 5\n"  # b goes, order changes
            await lb.scrape_at(4)
            lb.expo.body = b"a 6\ndrop_me 3\n"
            await lb.scrape_at(5)
            await lb.scrape_at(6)
            got = lb.series()
            tl = target_labels(lb)
            t = lb.t
            assert got[f"a{{{tl}}}"] == [
                (t(0), 1.0),
                (t(1), 1.0),
                (t(2), 1.0),
                (t(3), 1.0),
                (t(4), 5.0),
                (t(5), 6.0),
                (t(6), 6.0),
            ]
            assert got[f'b{{{tl}, x="1"}}'][-2:] == [(t(3), 2.0), (t(4), "stale")]
            assert f"drop_me{{{tl}}}" not in got
            assert got[f"scrape_samples_post_metric_relabeling{{{tl}}}"][-1][1] == 1.0
            assert got[f"scrape_samples_scraped{{{tl}}}"][-1][1] == 2.0
            assert got[f"scrape_series_added{{{tl}}}"][0][1] == 2.0
            assert [v for _, v in got[f"scrape_series_added{{{tl}}}"][1:]] == [0.0] * 6

    run(body)


def test_series_dropped_by_the_tsdb_are_looked_up_again(tmp_path: Path) -> None:
    async def body() -> None:
        db = DB.open(tmp_path / "d")
        clock = VirtualClock(1_000_000_000)
        canned = Canned(b"a 1\nb 2\n")
        manager = ScrapeManager(db, clock, scraper_factory=lambda cfg: canned)
        await manager.apply_config(
            loads("scrape_configs:\n  - job_name: j\n    static_configs: [{targets: ['x:1']}]\n")
        )
        await clock.settle()
        [loop] = manager.loops()
        t = 2_000_000_000
        for k in range(3):
            await loop.scrape_and_report(t + k * 60_000)
        assert loop._repeat is not None
        # As if head truncation dropped every series: references are stale.
        with db.head.lock:
            db.head.series.clear()
            db.head.by_labels.clear()
        db.head.dropped_series += 1
        await loop.scrape_and_report(t + 3 * 60_000)
        await loop.scrape_and_report(t + 4 * 60_000)
        with db.querier(0, 2**62) as q:
            names = sorted(s.labels.name for s in q.select([]))
        assert names.count("a") == 1 and names.count("b") == 1
        await manager.stop()
        db.close()

    run(body)
