"""Autoscaling metrics from the lab: what KEDA and an HPA read.

Configured metrics are named PromQL queries (``ScalingMetrics``); the same
evaluation answers two wire shapes:

* **KEDA's metrics-api scaler** — ``GET /scaling/v1/metrics/<name>`` ->
  ``{"metric": name, "value": 12.5, "timestamp": ...}``. In the ScaledObject:
  ``url: http://<lab>/scaling/v1/metrics/<name>``, ``valueLocation: value``,
  ``targetValue: ...``. The query must give one number: a scalar or a
  one-sample vector (aggregate it with ``sum``); an empty result is 0 (no
  traffic is a value, not an error), several series are a 422.
* **The external metrics API** (``external.metrics.k8s.io/v1beta1``, what the
  Prometheus adapter serves to an HPA's ``External`` metrics) —
  ``GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<name>`` ->
  ``ExternalMetricValueList`` with one item per result sample
  (``metricLabels`` are its labels, ``value`` a Kubernetes quantity), plus the
  group's ``APIResourceList`` at ``/apis/external.metrics.k8s.io/v1beta1``.

Queries may use ``$namespace`` (the request's namespace) and ``$selector``
(the ``labelSelector`` parameter, ``a=b,c!=d``, as PromQL matchers, empty when
absent), e.g. ``sum(rate(http_requests_total{namespace="$namespace", $selector}[2m]))``.

Mounting: ``add_scaling_routes(app, ScalingApi(metrics, queryable))`` on any
aiohttp application (the lab server mounts it with ``promlab server
--scaling.config-file``, see ``lab.server.app``); ``load_metrics(path)`` reads
``{metrics: {name: query}}`` YAML. ``ScalingApi.source()``
is a ``lab.cluster.hpa.MetricSource`` over the same queries, so the simulated
cluster's HPA controller reads exactly what a real HPA would.
"""

from __future__ import annotations

import math
import re
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from lab.cluster.hpa import MetricTarget, format_quantity
from lab.model.errors import LabError
from lab.server.promql.engine import Engine, ScalarResult, VectorResult
from lab.server.storage.interface import Queryable

GROUP: Final = "external.metrics.k8s.io"
VERSION: Final = "v1beta1"
_SELECTOR_TERM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_./-]*)\s*(==|!=|=)\s*([^,]*?)\s*$")


class ScalingQueryError(LabError):
    """A configured query cannot give a scaling value (several series, a bad
    selector, an evaluation error); the message is for the user."""


@dataclass(frozen=True)
class ScalingMetrics:
    """Metric name -> PromQL query template (see the module docstring)."""

    queries: Mapping[str, str]

    def render(self, name: str, namespace: str = "", selector: str = "") -> str:
        template = string.Template(self.queries[name])
        return template.safe_substitute(namespace=namespace, selector=matchers(selector))


def load_metrics(path: str | Path) -> ScalingMetrics:
    """``{metrics: {name: query, ...}}`` from a YAML file (``ScalingQueryError`` if malformed)."""
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ScalingQueryError(f"cannot read scaling metrics {path}: {exc}") from None
    metrics = doc.get("metrics") if isinstance(doc, dict) else None
    if not isinstance(metrics, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metrics.items()
    ):
        raise ScalingQueryError(f"{path}: expected 'metrics:' mapping names to PromQL queries")
    return ScalingMetrics(metrics)


def matchers(selector: str) -> str:
    """A Kubernetes equality label selector (``a=b,c!=d``) as PromQL matchers."""
    out = []
    for term in filter(None, (t.strip() for t in selector.split(","))):
        m = _SELECTOR_TERM.fullmatch(term)
        if m is None:
            raise ScalingQueryError(f"unsupported labelSelector term {term!r} (use a=b or a!=b)")
        name, op, value = m.groups()
        label = re.sub(r"[^A-Za-z0-9_]", "_", name)
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'{label}{"!=" if op == "!=" else "="}"{escaped}"')
    return ", ".join(out)


@dataclass
class ScalingApi:
    metrics: ScalingMetrics
    queryable: Queryable
    engine: Engine = field(default_factory=Engine)
    now_s: Callable[[], float] = time.time

    def evaluate(self, name: str, namespace: str = "", selector: str = ""
                 ) -> list[tuple[dict[str, str], float]]:
        """(labels, value) of every result sample (a scalar has no labels)."""
        query = self.metrics.render(name, namespace, selector)
        try:
            value = self.engine.instant_query(self.queryable, query, int(self.now_s() * 1000)).value
        except LabError as exc:
            raise ScalingQueryError(f"metric {name!r}: {exc}") from None
        if isinstance(value, ScalarResult):
            return [({}, value.value)]
        if isinstance(value, VectorResult):
            return [(dict(s.labels.without_name()), s.value) for s in value.samples]
        raise ScalingQueryError(f"metric {name!r}: the query must return a scalar or a vector")

    def value(self, name: str, namespace: str = "", selector: str = "") -> float:
        """One number: 0 for no result, an error for several."""
        result = self.evaluate(name, namespace, selector)
        if len(result) > 1:
            raise ScalingQueryError(
                f"metric {name!r}: the query returned {len(result)} series; aggregate it "
                "(e.g. with sum) to one value"
            )
        return result[0][1] if result else 0.0

    def source(self) -> _Source:
        """This API as the HPA controller's ``MetricSource``."""
        return _Source(self)


@dataclass
class _Source:
    api: ScalingApi

    def read(self, namespace: str, target: MetricTarget) -> float | None:
        if target.name not in self.api.metrics.queries:
            return None
        selector = ",".join(f"{k}={v}" for k, v in sorted(target.selector.items()))
        try:
            value = self.api.value(target.name, namespace, selector)
        except ScalingQueryError:
            return None  # the HPA reports ScalingActive=False, as for an adapter error
        return value if math.isfinite(value) else None


def add_scaling_routes(app: web.Application, api: ScalingApi) -> None:
    """Mount both shapes on ``app`` (see the module docstring)."""
    app.router.add_get("/scaling/v1/metrics/{name}", _keda_handler(api))
    app.router.add_get(f"/apis/{GROUP}/{VERSION}", _discovery_handler(api))
    app.router.add_get(f"/apis/{GROUP}/{VERSION}/namespaces/{{namespace}}/{{name}}",
                       _external_handler(api))


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Handler = Callable[[web.Request], Any]


def _keda_handler(api: ScalingApi) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in api.metrics.queries:
            return web.json_response({"error": f"no scaling metric {name!r}"}, status=404)
        try:
            value = api.value(name, request.query.get("namespace", ""),
                              request.query.get("labelSelector", ""))
        except ScalingQueryError as exc:
            return web.json_response({"error": str(exc)}, status=422)
        if not math.isfinite(value):
            return web.json_response({"error": f"metric {name!r} is {value}"}, status=422)
        return web.json_response({"metric": name, "value": value,
                                  "timestamp": _rfc3339(api.now_s())})

    return handle


def _status(code: int, reason: str, message: str) -> web.Response:
    """A Kubernetes ``Status`` error, as an aggregated API answers."""
    return web.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Failure", "message": message, "reason": reason,
                              "code": code}, status=code)


def _external_handler(api: ScalingApi) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        ns, name = request.match_info["namespace"], request.match_info["name"]
        if name not in api.metrics.queries:
            return _status(404, "NotFound", f'the server could not find the metric "{name}"')
        try:
            result = api.evaluate(name, ns, request.query.get("labelSelector", ""))
        except ScalingQueryError as exc:
            return _status(400, "BadRequest", str(exc))
        stamp = _rfc3339(api.now_s())
        items = [{"metricName": name, "metricLabels": labels, "timestamp": stamp,
                  "value": format_quantity(v)} for labels, v in result if math.isfinite(v)]
        return web.json_response({"kind": "ExternalMetricValueList",
                                  "apiVersion": f"{GROUP}/{VERSION}", "metadata": {},
                                  "items": items})

    return handle


def _discovery_handler(api: ScalingApi) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        resources = [{"name": n, "singularName": "", "namespaced": True,
                      "kind": "ExternalMetricValueList", "verbs": ["get"]}
                     for n in sorted(api.metrics.queries)]
        return web.json_response({"kind": "APIResourceList", "apiVersion": "v1",
                                  "groupVersion": f"{GROUP}/{VERSION}",
                                  "resources": resources})

    return handle
