"""The server's own metrics, served at ``/metrics`` under Prometheus's names.

Only what the server really maintains:

* ``prometheus_build_info`` (gauge 1 with the build labels);
* ``prometheus_tsdb_head_series`` and ``prometheus_tsdb_head_samples_appended_total``
  (read from the TSDB's head when the storage is one);
* ``prometheus_target_interval_length_seconds{interval}``: the actual time
  between two scrapes of a target, by configured interval (a summary);
* ``prometheus_http_requests_total{handler,code}`` (counted by a middleware,
  ``handler`` is the route pattern as upstream spells it, e.g.
  ``/api/v1/label/:name/values``);
* ``prometheus_engine_query_duration_seconds{slice="inner_eval"}``: the
  engine's evaluation of instant and range queries (for range queries this
  includes writing the result JSON, which the engine does from its arrays).

Summaries report quantiles over a sliding window of recent observations (the
last ``WINDOW``), and sum and count over all of them. Nothing is global: the
composition root owns one ``ServerMetrics`` and registers it in its own
registry.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    SummaryMetricFamily,
)
from prometheus_client.metrics_core import Metric

WINDOW = 1024
TARGET_QUANTILES = (0.01, 0.05, 0.5, 0.9, 0.99)
ENGINE_QUANTILES = (0.5, 0.9, 0.99)


class WindowSummary:
    """Thread-safe: quantiles of the last ``window`` observations, sum and count of all."""

    def __init__(self, window: int = WINDOW) -> None:
        self._recent: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        with self._lock:
            self._recent.append(value)
            self.sum += value
            self.count += 1

    def snapshot(self, quantiles: tuple[float, ...]) -> tuple[list[tuple[str, float]], float, int]:
        with self._lock:
            recent = np.array(self._recent, dtype=np.float64)
            total, count = self.sum, self.count
        if recent.size:
            values = np.quantile(recent, quantiles, method="inverted_cdf").tolist()
        else:
            values = [float("nan")] * len(quantiles)
        return [(repr(q), v) for q, v in zip(quantiles, values, strict=True)], total, count


@dataclass(frozen=True)
class HeadStats:
    series: int
    samples_appended: int


class ServerMetrics:
    """A ``prometheus_client`` collector of the server's own metrics."""

    def __init__(
        self,
        build_info: Mapping[str, str],
        head_stats: Callable[[], HeadStats | None],
    ) -> None:
        self._build_info = dict(build_info)
        self._head_stats = head_stats
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], int] = {}
        self._intervals: dict[str, WindowSummary] = {}
        self.query_eval = WindowSummary()

    # -- what the parts report ----------------------------------------------------

    def count_request(self, handler: str, code: int) -> None:
        key = (handler, str(code))
        with self._lock:
            self._requests[key] = self._requests.get(key, 0) + 1

    def observe_interval(self, interval: str, seconds: float) -> None:
        with self._lock:
            summary = self._intervals.setdefault(interval, WindowSummary())
        summary.observe(seconds)

    def observe_query(self, seconds: float) -> None:
        self.query_eval.observe(seconds)

    # -- collecting ----------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        info = self._build_info
        build = GaugeMetricFamily(
            "prometheus_build_info",
            "A metric with a constant '1' value labeled by version, revision, branch, "
            "goversion from which prometheus was built, and the goos and goarch for the build.",
            labels=["branch", "goversion", "revision", "version"],
        )
        build.add_metric(
            [
                info.get("branch", ""),
                info.get("goVersion", ""),
                info.get("revision", ""),
                info.get("version", ""),
            ],
            1.0,
        )
        yield build
        head = self._head_stats()
        if head is not None:
            yield GaugeMetricFamily(
                "prometheus_tsdb_head_series",
                "Total number of series in the head block.",
                value=head.series,
            )
            yield CounterMetricFamily(
                "prometheus_tsdb_head_samples_appended",
                "Total number of appended samples.",
                value=head.samples_appended,
            )
        with self._lock:
            requests = sorted(self._requests.items())
            intervals = sorted(self._intervals.items())
        http = CounterMetricFamily(
            "prometheus_http_requests",
            "Counter of HTTP requests.",
            labels=["code", "handler"],
        )
        for (handler, code), n in requests:
            http.add_metric([code, handler], n)
        yield http
        lengths = SummaryMetricFamily(
            "prometheus_target_interval_length_seconds",
            "Actual intervals between scrapes.",
            labels=["interval"],
        )
        for interval, summary in intervals:
            qs, total, count = summary.snapshot(TARGET_QUANTILES)
            lengths.add_metric([interval], count, total)
            for q, v in qs:
                lengths.add_sample(lengths.name, {"interval": interval, "quantile": q}, v)
        yield lengths
        engine = SummaryMetricFamily(
            "prometheus_engine_query_duration_seconds",
            "Query timings",
            labels=["slice"],
        )
        qs, total, count = self.query_eval.snapshot(ENGINE_QUANTILES)
        engine.add_metric(["inner_eval"], count, total)
        for q, v in qs:
            engine.add_sample(engine.name, {"slice": "inner_eval", "quantile": q}, v)
        yield engine

    # -- the request counter ----------------------------------------------------------

    def middleware(self) -> Middleware:
        """An aiohttp middleware counting every routed request by pattern and status."""

        @web.middleware
        async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
            response: web.StreamResponse | None = None
            try:
                response = await handler(request)
                return response
            except web.HTTPException as exc:
                response = exc
                raise
            finally:
                pattern = _pattern(request)
                if pattern is not None:
                    self.count_request(pattern, response.status if response is not None else 500)

        return count


def _pattern(request: web.Request) -> str | None:
    """The route as upstream names handlers: ``{name}`` becomes ``:name``."""
    info = request.match_info
    if info.http_exception is not None:
        return None
    resource = info.route.resource
    if resource is None:
        return None
    canonical = resource.canonical
    out = []
    for part in canonical.split("/"):
        if part.startswith("{") and part.endswith("}"):
            part = ":" + part[1:-1].split(":")[0]
        out.append(part)
    return "/".join(out)
