"""``promlab demo-app``: a small instrumented web shop for trainers.

Routes (each with a base latency, jittered ±50 %):

* ``GET /`` (5 ms), ``GET /api/items`` (20 ms), ``POST /api/checkout`` (80 ms)
* ``POST /admin/degrade`` with a JSON body
  ``{"latency_ms": 300, "error_rate": 0.2, "duration_s": 60}`` adds latency to
  every request and answers 500 with that probability, for ``duration_s``
  seconds (omitted or null: until reset); ``POST /admin/reset`` ends it;
  ``GET /admin/state`` shows it.
* ``GET /metrics`` (the telemetry path): the service's own registry.

Metrics (the names the golden-signals rule pack and the scenarios use):

* ``http_requests_total{code,method,route}`` — counter; ``route`` is the route
  template, never the raw path, so cardinality stays bounded.
* ``http_request_duration_seconds{route,method}`` — histogram.
* ``http_requests_in_flight`` — gauge.
* ``demo_degradation_latency_seconds``, ``demo_degradation_error_ratio`` —
  the fault currently injected (0 when healthy), so a trainer's dashboard can
  show cause next to effect.

Admin and telemetry requests are not counted: they are the lab's control
plane, not the service's traffic. Time comes from an injected ``Clock`` (its
``sleep`` makes the latency, its ``monotonic`` measures it), so tests check
buckets without waiting.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from exporters.common.web import MetricsHandler, WebConfig, new_app
from lab.clock import Clock

from .errors import DegradeError

#: route template -> (method, base latency in seconds)
ROUTES: Final[dict[str, tuple[str, float]]] = {
    "/": ("GET", 0.005),
    "/api/items": ("GET", 0.020),
    "/api/checkout": ("POST", 0.080),
}

#: Wide enough to see a 300 ms degradation move out of the healthy buckets.
BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

MAX_LATENCY_MS: Final = 60_000.0
ITEMS: Final = [{"id": i, "name": f"item-{i}", "price": 5 + i} for i in range(1, 6)]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Degradation:
    """An injected fault: extra latency and an error probability, until
    ``until`` (``Clock.monotonic()`` seconds; ``None`` = until reset)."""

    latency_s: float = 0.0
    error_rate: float = 0.0
    until: float | None = None

    @classmethod
    def parse(cls, body: object, now: float) -> Degradation:
        """From a ``/admin/degrade`` JSON body; ``DegradeError`` says what is wrong."""
        if not isinstance(body, Mapping):
            raise DegradeError("body must be a JSON object")
        unknown = sorted(set(body) - {"latency_ms", "error_rate", "duration_s"})
        if unknown:
            raise DegradeError(f"unknown field(s): {', '.join(map(str, unknown))}")
        latency_ms = _number(body, "latency_ms", 0.0)
        error_rate = _number(body, "error_rate", 0.0)
        duration = body.get("duration_s")
        if not 0 <= latency_ms <= MAX_LATENCY_MS:
            raise DegradeError(f"latency_ms must be in [0, {MAX_LATENCY_MS:g}], got {latency_ms}")
        if not 0 <= error_rate <= 1:
            raise DegradeError(f"error_rate must be in [0, 1], got {error_rate}")
        until = None
        if duration is not None:
            seconds = _number(body, "duration_s", 0.0)
            if seconds <= 0:
                raise DegradeError(f"duration_s must be > 0 (or null), got {seconds}")
            until = now + seconds
        return cls(latency_ms / 1000, error_rate, until)

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until


HEALTHY: Final = Degradation()


def _number(body: Mapping[str, object], key: str, default: float) -> float:
    value = body.get(key, default)
    # bool is an int subclass; "true" as a latency is a mistake, not 1 ms.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DegradeError(f"{key} must be a number, got {json.dumps(value)}")
    return float(value)


class DemoMetrics:
    """The service's instruments, registered in the given registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests handled, by status code, method and route template.",
            ("code", "method", "route"),
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ("route", "method"),
            buckets=BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight", "HTTP requests being answered.", registry=registry
        )
        self.degraded_latency = Gauge(
            "demo_degradation_latency_seconds",
            "Latency currently injected by /admin/degrade.",
            registry=registry,
        )
        self.degraded_errors = Gauge(
            "demo_degradation_error_ratio",
            "Error probability currently injected by /admin/degrade.",
            registry=registry,
        )
        # Pre-create the healthy children so rate() has a zero to start from.
        for route, (method, _) in ROUTES.items():
            self.requests.labels("200", method, route)
            self.duration.labels(route, method)


class DemoApp:
    """The demo service; ``app(config)`` builds the aiohttp application."""

    def __init__(
        self,
        clock: Clock,
        registry: CollectorRegistry,
        *,
        rng: random.Random | None = None,
        telemetry_path: str = "/metrics",
    ) -> None:
        self.clock = clock
        self.registry = registry
        self.metrics = DemoMetrics(registry)
        self.rng = rng or random.Random()
        self.telemetry_path = telemetry_path
        self._degradation = HEALTHY

    @property
    def degradation(self) -> Degradation:
        """The fault in force now (expired ones read as healthy)."""
        if not self._degradation.active(self.clock.monotonic()):
            self.set_degradation(HEALTHY)
        return self._degradation

    def set_degradation(self, degradation: Degradation) -> None:
        self._degradation = degradation
        self.metrics.degraded_latency.set(degradation.latency_s)
        self.metrics.degraded_errors.set(degradation.error_rate)

    def app(self, config: WebConfig) -> web.Application:
        app = new_app(config)
        for route, (method, base) in ROUTES.items():
            app.router.add_route(method, route, self._instrumented(route, method, base))
        app.router.add_post("/admin/degrade", self._degrade)
        app.router.add_post("/admin/reset", self._reset)
        app.router.add_get("/admin/state", self._state)
        # The registry only holds in-memory instruments: collect on the loop.
        metrics = MetricsHandler([self.registry], in_thread=False)
        app.router.add_get(self.telemetry_path, metrics.handle)
        return app

    def _instrumented(self, route: str, method: str, base_s: float) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            m = self.metrics
            start = self.clock.monotonic()
            code = "500"
            with m.in_flight.track_inprogress():
                try:
                    response = await self._answer(route, base_s)
                    code = str(response.status)
                    return response
                finally:
                    # Counted even when the client went away mid-request.
                    m.duration.labels(route, method).observe(self.clock.monotonic() - start)
                    m.requests.labels(code, method, route).inc()

        return handle

    async def _answer(self, route: str, base_s: float) -> web.Response:
        fault = self.degradation
        await self.clock.sleep(base_s * self.rng.uniform(0.5, 1.5) + fault.latency_s)
        if fault.error_rate and self.rng.random() < fault.error_rate:
            return web.json_response({"error": "injected failure"}, status=500)
        if route == "/api/items":
            return web.json_response({"items": ITEMS})
        if route == "/api/checkout":
            return web.json_response({"order": self.rng.randrange(1, 1_000_000)}, status=201)
        return web.Response(text="promlab demo shop: try /api/items\n")

    async def _degrade(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            return web.json_response({"error": f"body is not JSON: {exc}"}, status=400)
        try:
            fault = Degradation.parse(body, self.clock.monotonic())
        except DegradeError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        self.set_degradation(fault)
        return web.json_response(self._describe(fault))

    async def _reset(self, request: web.Request) -> web.Response:
        self.set_degradation(HEALTHY)
        return web.json_response(self._describe(HEALTHY))

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self._describe(self.degradation))

    def _describe(self, fault: Degradation) -> dict[str, object]:
        remaining = None if fault.until is None else fault.until - self.clock.monotonic()
        return {
            "degraded": fault != HEALTHY,
            "latency_ms": fault.latency_s * 1000,
            "error_rate": fault.error_rate,
            "remaining_s": None if remaining is None else max(0.0, remaining),
        }
