"""Per-target metric metadata kept by the scrape loop (TYPE / HELP / UNIT)."""

from __future__ import annotations

from lab.server.scrape.loop import METADATA_KEEP_SCRAPES, MetricMetadata
from tests.lab.server.scrape.fixtures import run
from tests.lab.server.scrape.test_loop import lab

BODY = (
    b"# HELP a_total Requests.\n# TYPE a_total counter\na_total 1\n"
    b"# HELP g Only help.\ng 2\n"
    b"# TYPE u untyped\nu 3\n"
    b"plain 4\n"
    b'# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'
)


def test_metadata_from_every_family_that_declares_some() -> None:
    async def body() -> None:
        async with lab(BODY) as lb:
            await lb.configure()
            await lb.scrape_at(0)
            [loop] = lb.manager.loops()
            assert loop.metadata() == [
                MetricMetadata("a_total", "counter", "Requests.", ""),
                MetricMetadata("g", "unknown", "Only help.", ""),
                MetricMetadata("h", "histogram", "", ""),
            ]

    run(body)


def test_openmetrics_units_and_forgetting_absent_families() -> None:
    om = (
        b"# TYPE x_seconds gauge\n# UNIT x_seconds seconds\n# HELP x_seconds X.\n"
        b"x_seconds 1\n# EOF\n"
    )

    async def body() -> None:
        async with lab(om) as lb:
            lb.expo.content_type = "application/openmetrics-text; version=1.0.0"
            await lb.configure()
            await lb.scrape_at(0)
            [loop] = lb.manager.loops()
            assert loop.metadata() == [MetricMetadata("x_seconds", "gauge", "X.", "seconds")]
            lb.expo.body = b"# TYPE y gauge\ny 1\n# EOF\n"
            for k in range(1, METADATA_KEEP_SCRAPES + 1):
                await lb.scrape_at(k)
            assert [m.metric for m in loop.metadata()] == ["x_seconds", "y"]  # kept a while
            await lb.scrape_at(METADATA_KEEP_SCRAPES + 1)
            assert [m.metric for m in loop.metadata()] == ["y"]

    run(body)
