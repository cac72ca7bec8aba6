"""The live lab: real processes for trainers and end-to-end checks.

* ``demo_app`` — an instrumented aiohttp web service (``promlab demo-app``)
  whose latency and error rate can be degraded on command.
* ``shapes`` — load over time as data (stages, ramp, spike); no locust import.
* ``safety`` — the loopback-only default for anything that sends traffic.
* ``load`` — ``promlab load``: locust as a library, headless, loopback-only by
  default, exporting its own stats as Prometheus metrics.
* ``stress`` — bounded, self-stopping CPU and memory stressors.
* ``live_plan``, ``timescale``, ``scenario_live`` — ``promlab scenario
  live``: a library scenario played with the tools above and ``promlab server``
  on loopback, rule windows divided by the time scale, expectations judged as
  in simulated time.
* ``scaling_api`` — autoscaling metrics for KEDA's metrics-api scaler and the
  external metrics API an HPA reads (``promlab server --scaling.config-file``).

Errors: see ``errors``. Nothing here runs at import time; locust (which
monkey-patches the standard library through gevent when imported) is only
imported inside the ``promlab load`` process.
"""
