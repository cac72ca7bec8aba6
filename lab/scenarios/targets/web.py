"""An instrumented web service's own metrics — the four golden signals as a
Python or Go HTTP middleware exports them:

* traffic: ``http_requests_total{method,route,code}`` (counter);
* errors: the 5xx share of that counter;
* latency: ``http_request_duration_seconds_bucket/_sum/_count{method,route}``
  (a classic histogram);
* saturation: ``http_requests_in_flight`` (gauge; Little's law) — and the
  container CPU the Deployment reports.

Knobs (one row per pod): ``traffic`` (multiplier of the base request rate,
split over ready pods by the load balancer), ``errors`` (5xx share),
``latency`` (multiplier of the median), ``cardinality`` (how many raw URL
paths leak into the ``route`` label: the classic cardinality explosion).
CPU saturation feeds back: near the CPU limit requests queue (latency
grows) and start timing out (503s).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lab.scenarios.targets.base import F64, B, Grid, Scrape, counter

if TYPE_CHECKING:
    from lab.scenarios.targets.kube import Deployment, PodStates

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: (method, route, share of traffic, median latency in seconds)
ROUTES = (
    ("GET", "/api/products", 0.55, 0.030),
    ("GET", "/api/cart", 0.25, 0.045),
    ("POST", "/api/orders", 0.15, 0.060),
    ("GET", "/healthz", 0.05, 0.002),
)


@dataclass(frozen=True, slots=True)
class HttpApp:
    rps: float = 60.0
    errors: float = 0.0002
    port: int = 8080

    def baseline(self) -> Mapping[str, float]:
        return {"traffic": 1.0, "errors": self.errors, "latency": 1.0, "cardinality": 0.0}

    def load_share(self, knobs: Mapping[str, F64], ready: B) -> F64:
        """Each pod's load relative to the baseline (1.0 = its fair share at
        normal traffic): the balancer spreads traffic over ready pods."""
        pods = ready.shape[0]
        n_ready = np.maximum(ready.sum(axis=0), 1)
        traffic = knobs["traffic"].max(axis=0)
        return np.where(ready, traffic * pods / n_ready, 0.0)


def http_scrapes(
    dep: Deployment,
    app: HttpApp,
    grid: Grid,
    st: PodStates,
    knobs: Mapping[str, F64],
    rng: np.random.Generator,
) -> Iterator[Scrape]:
    n, dt = grid.steps, grid.dt
    pods = dep.replicas
    n_ready = np.maximum(st.ready.sum(axis=0), 1)
    traffic = knobs["traffic"].max(axis=0)
    bounds = np.asarray(BUCKETS)
    for i in range(pods):
        pod = dep.pod(i)
        s = Scrape(dep.name, f"{dep.pod_ip(i)}:{app.port}", st.running[i].astype(np.float64),
                   target_labels={"namespace": dep.namespace, "pod": pod, "service": dep.name})
        rps = np.where(st.ready[i], app.rps * traffic / n_ready, 0.0)
        # Queueing near the CPU limit: latency climbs steeply, then timeouts.
        queue = 1 + 8 * (np.clip(st.demand[i] - 0.85, 0, None) / 0.15) ** 2
        slow = np.maximum(knobs["latency"][i], 0.1) * queue
        # Clients give up once the typical request takes seconds: 503s.
        timeouts = np.clip((0.05 * slow - 2.0) / 8.0, 0.0, 0.3)
        err_share = np.clip(knobs["errors"][i] + timeouts, 0.0, 1.0)
        reset = st.restarted[i]
        in_flight = np.zeros(n)
        for method, route, share, median in ROUTES:
            m = median * slow
            requests = rng.poisson(rps * share * dt).astype(np.float64)
            errors = rng.binomial(requests.astype(np.int64), err_share).astype(np.float64)
            not_found = rng.binomial((requests - errors).astype(np.int64), 0.01 * (
                route != "/healthz")).astype(np.float64)
            ok = requests - errors - not_found
            for code, inc in (("200", ok), ("404", not_found), ("500", np.round(errors * 0.7)),
                              ("503", errors - np.round(errors * 0.7))):
                s.add(counter(inc, reset), "http_requests_total", method=method, route=route,
                      code=code)
            # Exponential latencies: each request lands in one bucket (multinomial),
            # so the cumulative buckets add up exactly to the request count.
            shares = 1 - np.exp(-np.log(2) * bounds[None, :] / m[:, None])
            probs = np.diff(shares, axis=1, prepend=0.0, append=1.0)
            landed = rng.multinomial(requests.astype(np.int64), np.clip(probs, 0.0, 1.0))
            per_le = np.cumsum(landed[:, :-1], axis=1).astype(np.float64)
            buckets = counter(per_le.T, reset)
            for j, le in enumerate(BUCKETS):
                s.add(buckets[j], "http_request_duration_seconds_bucket",
                      method=method, route=route, le=_le(le))
            s.add(counter(requests, reset), "http_request_duration_seconds_bucket",
                  method=method, route=route, le="+Inf")
            s.add(counter(requests, reset), "http_request_duration_seconds_count",
                  method=method, route=route)
            s.add(counter(requests * m / np.log(2), reset), "http_request_duration_seconds_sum",
                  method=method, route=route)
            in_flight += rps * share * m / np.log(2)
        s.add(np.round(in_flight + np.abs(rng.normal(0, 0.3, n))), "http_requests_in_flight")
        _leaked_paths(s, knobs["cardinality"][i], rng, dt, reset)
        yield s


def _leaked_paths(s: Scrape, paths: F64, rng: np.random.Generator, dt: float, reset: B) -> None:
    """``route`` set to the raw path: one new series per user id seen."""
    count = int(np.ceil(paths.max())) if paths.size else 0
    if count <= 0:
        return
    n = paths.size
    for k in range(count):
        live = paths > k
        if not live.any():
            continue
        hits = np.where(live, rng.poisson(0.02 * dt, n), 0).astype(np.float64)
        values = np.where(live, counter(hits, reset), np.nan)
        s.add(values, "http_requests_total", method="GET", route=f"/api/users/{100000 + k}",
              code="200")
        s.add(values, "http_request_duration_seconds_count", method="GET",
              route=f"/api/users/{100000 + k}")


def _le(bound: float) -> str:
    return repr(bound) if bound != int(bound) else f"{bound:.1f}"


def web_service(name: str, *, namespace: str = "shop", replicas: int = 3, rps: float = 60.0,
                **kw: object) -> Deployment:
    """A Deployment whose pods serve HTTP (the golden-signals target)."""
    from lab.scenarios.targets.kube import Deployment

    return Deployment(name, namespace, replicas, http=HttpApp(rps=rps), **kw)  # type: ignore[arg-type]
