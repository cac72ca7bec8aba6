"""``promlab load``: locust as a library, headless, against the demo app.

One ``LocalRunner`` drives ``DemoUser``s (browse ``/``, list ``/api/items``,
``POST /api/checkout``, weighted 1:3:1) following a ``shapes.LoadPlan``, for at
most ``--duration``; locust's stats are served as Prometheus metrics
(``locust_metrics``) on ``--web.listen-address`` for the lab to scrape.

Lab safety default: the target must be on loopback (``safety.check_target``,
checked by the command before anything starts); anything else is refused with
``UnsafeTargetError`` unless ``--allow-remote`` is given.

Importing locust patches the standard library through gevent, so locust is
imported only inside ``run_load`` — i.e. only in the ``promlab load``
process, never by whoever imports this module.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry

from exporters.common.web import ListenAddress

from .locust_metrics import LocustCollector
from .shapes import LoadPlan

if TYPE_CHECKING:
    from locust import HttpUser

log = logging.getLogger("promlab.load")

#: Seconds a wait_time draws from, per user between tasks.
WAIT_MIN_S: Final = 0.2
WAIT_MAX_S: Final = 1.0
#: How long locust may take to stop its users after the run (then they are killed).
STOP_TIMEOUT_S: Final = 2.0


@dataclass(frozen=True)
class LoadOptions:
    target: str
    plan: LoadPlan
    duration_s: float
    listen: str = "127.0.0.1:9646"
    linger_s: float = 0.0


@dataclass
class LoadSummary:
    requests: int = 0
    failures: int = 0
    by_route: dict[str, int] = field(default_factory=dict)


def user_class(host: str) -> type[HttpUser]:
    """The demo shop's visitor (locust must already be imported)."""
    from locust import HttpUser, between, task

    class DemoUser(HttpUser):
        wait_time = between(WAIT_MIN_S, WAIT_MAX_S)

        @task(1)
        def home(self) -> None:
            self.client.get("/")

        @task(3)
        def items(self) -> None:
            self.client.get("/api/items")

        @task(1)
        def checkout(self) -> None:
            self.client.post("/api/checkout", json={"item": 1, "quantity": 1})

    DemoUser.host = host
    return DemoUser


def run_load(options: LoadOptions, *, on_listening: Callable[[str], None]) -> LoadSummary:
    """Blocking: run the plan against ``options.target`` (already checked by
    ``check_target``) until it ends, ``duration_s`` passes or SIGINT/SIGTERM."""
    # Deliberately here (see the module docstring): this patches the stdlib.
    import gevent
    from gevent.event import Event
    from gevent.pywsgi import WSGIServer
    from locust import LoadTestShape
    from locust.env import Environment
    from prometheus_client import make_wsgi_app

    plan = options.plan.cut(options.duration_s)

    class PlanShape(LoadTestShape):
        def tick(self) -> tuple[int, float] | None:
            return plan.tick(self.get_run_time())  # type: ignore[no-untyped-call]

    env = Environment(
        user_classes=[user_class(options.target)],
        shape_class=PlanShape(),  # type: ignore[no-untyped-call]
        host=options.target,
        stop_timeout=STOP_TIMEOUT_S,
    )
    runner = env.create_local_runner()
    registry = CollectorRegistry()
    registry.register(
        LocustCollector(lambda: runner.stats, lambda: runner.user_count, lambda: runner.state)
    )
    address = ListenAddress.parse(options.listen)
    server = WSGIServer(
        (address.host or "0.0.0.0", address.port), make_wsgi_app(registry), log=None
    )
    server.start()
    shown = address.host or "127.0.0.1"
    on_listening(f"http://{shown}:{server.server_port}/metrics")

    stopped = Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, stopped.set)
    try:
        runner.start_shape()
        # The plan ends itself at duration_s; the wait is the hard bound.
        stopped.wait(timeout=plan.total_s)
        runner.quit()
        if options.linger_s > 0 and not stopped.is_set():
            # Final numbers stay scrapeable for a scrape interval or two.
            deadline = time.monotonic() + options.linger_s
            stopped.wait(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        runner.quit()
        server.stop(timeout=1)
    summary = LoadSummary()
    for (name, method), entry in sorted(runner.stats.entries.items()):
        summary.requests += entry.num_requests
        summary.failures += entry.num_failures
        summary.by_route[f"{method} {name}"] = entry.num_requests
    return summary
