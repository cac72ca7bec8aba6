"""The scrape loop and manager against a loopback aiohttp server, on a VirtualClock.

Ticks are at ``offset + k * interval`` where the offset comes from the target's
hash; tests read it from the loop instead of assuming a value.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from lab.clock import VirtualClock
from lab.server.config import loads
from lab.server.scrape.manager import ScrapeManager
from lab.server.scrape.scraper import ScrapeRequest, ScrapeResponse
from lab.server.scrape.target import Health
from lab.server.storage.memory import MemoryStorage
from tests.lab.server.scrape.fixtures import Exposition, run, samples, start_server

START_MS = 1_000_000_000


@dataclass
class Lab:
    expo: Exposition
    clock: VirtualClock
    storage: MemoryStorage
    manager: ScrapeManager
    address: str
    first_ms: int = 0

    async def configure(self, job_yaml: str = "", interval: str = "10s") -> None:
        text = (
            "scrape_configs:\n"
            "  - job_name: test\n"
            f"    scrape_interval: {interval}\n"
            f"    static_configs: [{{targets: ['{self.address}'], labels: {{env: lab}}}}]\n"
            + "".join(f"    {line}\n" for line in job_yaml.splitlines())
        )
        await self.manager.apply_config(loads(text))
        await self.clock.settle()
        [loop] = self.manager.loops()
        self.first_ms = loop.target.first_scrape_ms(START_MS)

    async def scrape_at(self, k: int) -> None:
        """Advance to the k-th tick (0-based) so that scrape has happened."""
        [loop] = self.manager.loops()
        await self.clock.advance_to(self.first_ms + k * loop.target.interval_ms)

    def series(self) -> dict[str, list[tuple[int, float | str]]]:
        return samples(self.storage)

    def t(self, k: int, interval_ms: int = 10_000) -> int:
        return self.first_ms + k * interval_ms


@asynccontextmanager
async def lab(body: bytes = b"") -> AsyncIterator[Lab]:
    expo = Exposition(body=body)
    server = await start_server(expo)
    clock = VirtualClock(START_MS)
    storage = MemoryStorage()
    manager = ScrapeManager(storage, clock)
    try:
        yield Lab(expo, clock, storage, manager, f"127.0.0.1:{server.port}")
    finally:
        await manager.stop()
        await server.close()


def target_labels(lab: Lab) -> str:
    return f'env="lab", instance="{lab.address}", job="test"'


def test_up_and_scrape_series_and_staleness_when_a_series_disappears() -> None:
    async def body() -> None:
        async with lab(b'# TYPE a counter\na_total 1\nb{x="1"} 2\n') as lb:
            await lb.configure()
            await lb.scrape_at(0)
            lb.expo.body = b"a_total 2\n"
            await lb.scrape_at(1)
            got = lb.series()
            tl = target_labels(lb)
            t0, t1 = lb.t(0), lb.t(1)
            assert got[f"a_total{{{tl}}}"] == [(t0, 1.0), (t1, 2.0)]
            assert got[f'b{{{tl}, x="1"}}'] == [(t0, 2.0), (t1, "stale")]
            assert got[f"up{{{tl}}}"] == [(t0, 1.0), (t1, 1.0)]
            assert got[f"scrape_samples_scraped{{{tl}}}"] == [(t0, 2.0), (t1, 1.0)]
            assert got[f"scrape_samples_post_metric_relabeling{{{tl}}}"] == [(t0, 2.0), (t1, 1.0)]
            assert got[f"scrape_series_added{{{tl}}}"] == [(t0, 2.0), (t1, 0.0)]
            assert f"scrape_duration_seconds{{{tl}}}" in got
            [status] = lb.manager.targets().active
            assert status.health is Health.UP
            assert status.last_scrape_ms == t1
            assert status.scrape_url == f"http://{lb.address}/metrics"
            accept = lb.expo.requests[0]["Accept"]
            assert accept.startswith("application/openmetrics-text;version=1.0.0;")
            assert accept.endswith("*/*;q=0.1")
            assert lb.expo.requests[0]["X-Prometheus-Scrape-Timeout-Seconds"] == "10"

    run(body)


def test_bad_exposition_text_is_a_failed_scrape_with_nothing_half_appended() -> None:
    async def body() -> None:
        async with lab(b"a 1\nb 2\n") as lb:
            await lb.configure()
            await lb.scrape_at(0)
            lb.expo.body = b"a 3\nb{ 4\n"  # the first line is fine, the second is not
            await lb.scrape_at(1)
            got = lb.series()
            tl = target_labels(lb)
            t0, t1 = lb.t(0), lb.t(1)
            assert got[f"a{{{tl}}}"] == [(t0, 1.0), (t1, "stale")]
            assert got[f"b{{{tl}}}"] == [(t0, 2.0), (t1, "stale")]
            assert got[f"up{{{tl}}}"] == [(t0, 1.0), (t1, 0.0)]
            [status] = lb.manager.targets().active
            assert status.health is Health.DOWN
            assert status.last_error.startswith("line 2, col ")
            lb.expo.body = b"a 5\nb 6\n"
            await lb.scrape_at(2)
            got = lb.series()
            assert got[f"a{{{tl}}}"][-1] == (lb.t(2), 5.0)
            assert got[f"up{{{tl}}}"][-1] == (lb.t(2), 1.0)
            # The cache survived the failure: nothing counts as new.
            assert got[f"scrape_series_added{{{tl}}}"][-1] == (lb.t(2), 0.0)

    run(body)


def test_http_error_and_gzip() -> None:
    async def body() -> None:
        async with lab(b"a 1\n") as lb:
            lb.expo.gzip = True
            await lb.configure()
            await lb.scrape_at(0)
            assert lb.expo.requests[0]["Accept-Encoding"] == "gzip"
            lb.expo.status = 500
            await lb.scrape_at(1)
            tl = target_labels(lb)
            assert lb.series()[f"up{{{tl}}}"] == [(lb.t(0), 1.0), (lb.t(1), 0.0)]
            [status] = lb.manager.targets().active
            assert status.last_error == "server returned HTTP status 500 Internal Server Error"

    run(body)


def test_sample_limit_fails_the_scrape() -> None:
    async def body() -> None:
        async with lab(b"a 1\nb 2\nc 3\n") as lb:
            await lb.configure("sample_limit: 2")
            await lb.scrape_at(0)
            got = lb.series()
            tl = target_labels(lb)
            assert f"a{{{tl}}}" not in got
            assert got[f"up{{{tl}}}"] == [(lb.t(0), 0.0)]
            assert got[f"scrape_samples_scraped{{{tl}}}"] == [(lb.t(0), 3.0)]
            assert got[f"scrape_samples_post_metric_relabeling{{{tl}}}"] == [(lb.t(0), 3.0)]
            assert lb.manager.targets().active[0].last_error == "sample limit exceeded"

    run(body)


def test_label_limits() -> None:
    async def body() -> None:
        async with lab(b'a{x="1",y="2"} 1\n') as lb:
            await lb.configure("label_limit: 4")
            await lb.scrape_at(0)
            err = lb.manager.targets().active[0].last_error
            assert err == (
                'label_limit exceeded (metric: a{x="1",y="2"}, number of labels: 6, limit: 4)'
            )

    run(body)


def test_body_size_limit_plain_and_gzip() -> None:
    async def body() -> None:
        async with lab(b"a 1\n" * 100) as lb:
            await lb.configure("body_size_limit: 100B")
            await lb.scrape_at(0)
            assert lb.manager.targets().active[0].last_error == "body size limit exceeded"
            lb.expo.gzip = True
            await lb.scrape_at(1)
            assert lb.manager.targets().active[0].last_error == "body size limit exceeded"
            lb.expo.body = b"a 1\n"
            await lb.scrape_at(2)
            assert lb.manager.targets().active[0].health is Health.UP

    run(body)


def test_conflicting_labels_get_exported_prefix_unless_honor_labels() -> None:
    async def body() -> None:
        scraped = b'a{job="other",instance="x",exported_job="y"} 1\n'
        async with lab(scraped) as lb:
            await lb.configure()
            await lb.scrape_at(0)
            names = set(lb.series())
            assert (
                f'a{{env="lab", exported_exported_job="other", exported_instance="x", '
                f'exported_job="y", instance="{lb.address}", job="test"}}'
            ) in names
        async with lab(scraped) as lb:
            await lb.configure("honor_labels: true")
            await lb.scrape_at(0)
            names = set(lb.series())
            assert 'a{env="lab", exported_job="y", instance="x", job="other"}' in names

    run(body)


def test_honor_labels_keeps_a_label_exposed_empty_unset() -> None:
    """/federate output marks series without an instance with ``instance=""``:
    with honor_labels they stay without one (as upstream) instead of getting the
    federating target's."""

    async def body() -> None:
        scraped = b'a{job="other",instance=""} 1\nb{instance="",x="1"} 2\n'
        async with lab(scraped) as lb:
            await lb.configure("honor_labels: true")
            await lb.scrape_at(0)
            names = set(lb.series())
            assert 'a{env="lab", job="other"}' in names
            assert 'b{env="lab", job="test", x="1"}' in names
        async with lab(scraped) as lb:  # without honor_labels the target's win
            await lb.configure()
            await lb.scrape_at(0)
            assert (
                f'a{{env="lab", exported_job="other", instance="{lb.address}", job="test"}}'
                in set(lb.series())
            )

    run(body)


def test_honor_timestamps() -> None:
    async def body() -> None:
        async with lab(b"a 1 1000\n") as lb:
            await lb.configure()
            await lb.scrape_at(0)
            assert lb.series()[f"a{{{target_labels(lb)}}}"] == [(1000, 1.0)]
        async with lab(b"a 1 1000\n") as lb:
            await lb.configure("honor_timestamps: false")
            await lb.scrape_at(0)
            assert lb.series()[f"a{{{target_labels(lb)}}}"] == [(lb.t(0), 1.0)]

    run(body)


def test_metric_relabeling_runs_once_per_new_series() -> None:
    async def body() -> None:
        async with lab(b"go_x 1\nkeep_me 2\n") as lb:
            await lb.configure(
                "metric_relabel_configs:\n"
                "  - {source_labels: [__name__], regex: 'go_.*', action: drop}"
            )
            [loop] = lb.manager.loops()
            calls: list[str] = []
            original = loop._mutate

            def counting(scraped, raw):  # type: ignore[no-untyped-def]
                calls.append(raw)
                return original(scraped, raw)

            loop._mutate = counting  # type: ignore[method-assign]
            for k in range(3):
                await lb.scrape_at(k)
            assert sorted(calls) == ["go_x", "keep_me"]
            got = lb.series()
            tl = target_labels(lb)
            assert f"go_x{{{tl}}}" not in got
            assert len(got[f"keep_me{{{tl}}}"]) == 3
            assert got[f"scrape_samples_post_metric_relabeling{{{tl}}}"][-1][1] == 1.0
            assert got[f"scrape_samples_scraped{{{tl}}}"][-1][1] == 2.0

    run(body)


def test_reload_keeps_unchanged_loops_and_stales_removed_targets() -> None:
    async def body() -> None:
        async with lab(b"a 1\n") as lb:
            await lb.configure()
            await lb.scrape_at(0)
            [loop] = lb.manager.loops()
            await lb.configure()  # same config: same loop, no gap
            assert lb.manager.loops() == [loop]
            await lb.scrape_at(1)
            # Remove the job: markers come just over two intervals later, at the
            # time of the first scrape that did not happen.
            await lb.manager.apply_config(loads(""))
            await lb.clock.advance_to(lb.t(4))
            got = lb.series()
            tl = target_labels(lb)
            assert got[f"a{{{tl}}}"] == [(lb.t(0), 1.0), (lb.t(1), 1.0), (lb.t(2), "stale")]
            assert got[f"up{{{tl}}}"][-1] == (lb.t(2), "stale")

    run(body)


def test_changed_job_config_hands_over_without_staleness() -> None:
    async def body() -> None:
        async with lab(b"a 1\n") as lb:
            await lb.configure()
            await lb.scrape_at(0)
            await lb.configure("sample_limit: 100")  # same target, new loop
            await lb.scrape_at(1)
            await lb.clock.advance_to(lb.t(4))
            got = lb.series()[f"a{{{target_labels(lb)}}}"]
            assert all(v == 1.0 for _, v in got)
            assert len(got) == 5

    run(body)


def test_injected_scraper_and_timeout() -> None:
    class Slow:
        async def scrape(self, request: ScrapeRequest) -> ScrapeResponse:
            import asyncio

            await asyncio.Event().wait()  # never answers
            raise AssertionError

    async def body() -> None:
        clock = VirtualClock(START_MS)
        storage = MemoryStorage()
        manager = ScrapeManager(storage, clock, scraper_factory=lambda cfg: Slow())
        cfg = loads(
            "scrape_configs:\n  - job_name: slow\n    scrape_interval: 1s\n"
            "    scrape_timeout: 50ms\n    static_configs: [{targets: ['h:1']}]\n"
        )
        await manager.apply_config(cfg)
        await clock.advance(1000)
        [status] = manager.targets().active
        assert status.last_error == 'Get "http://h:1/metrics": context deadline exceeded'
        assert samples(storage)['up{instance="h:1", job="slow"}'][0][1] == 0.0
        await manager.stop()

    run(body)
