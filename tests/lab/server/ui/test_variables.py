"""Variables resolved against the storage, chained, filtered and selected."""

from __future__ import annotations

from lab.server.ui.grafana import Variable
from lab.server.ui.variables import resolve_variables
from tests.lab.server.ui.harness import NOW_MS, START_MS, demo_storage


def _resolve(*variables: Variable, **requested: list[str]) -> dict[str, object]:
    out = resolve_variables(variables, demo_storage(), START_MS, NOW_MS, requested, {})
    return {r.name: (r.options, r.selection.values, r.selection.all, r.error) for r in out}


def test_query_helpers_and_chaining() -> None:
    got = _resolve(
        Variable("job", "query", query="label_values(demo_memory_bytes, job)"),
        Variable(
            "instance",
            "query",
            query='label_values(demo_memory_bytes{job="$job"}, instance)',
            multi=True,
            include_all=True,
        ),
        Variable("label", "query", query="label_values(handler)", sort=2),
        Variable("metric", "query", query="metrics(demo_memory.*)"),
        Variable("names", "query", query='label_names({__name__="demo_memory_bytes"})'),
        Variable(
            "ip",
            "query",
            query="label_values(demo_memory_bytes, instance)",
            regex=r"/^([\d.]+):\d+$/",
        ),
        Variable("top", "query", query="query_result(max(demo_memory_bytes) by (job))"),
        job=["worker"],
    )
    assert got["job"] == (("api", "worker"), ("worker",), False, "")
    # chained on $job; "All" is picked when nothing is requested
    assert got["instance"] == (("10.0.0.1:9100", "10.0.0.3:9100"),) * 2 + (True, "")
    assert got["label"][0] == ("/metrics", "/api/v1/query", "/api/v1/push")
    assert got["metric"][0] == ("demo_memory_bytes",)
    assert got["names"][0] == ("__name__", "instance", "job")
    assert got["ip"][0] == ("10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3")
    top = got["top"][0]
    assert isinstance(top, tuple) and top[0].startswith('{job="api"} ')


def test_other_kinds_and_selection_rules() -> None:
    got = _resolve(
        Variable("ds", "datasource", query="prometheus"),
        Variable("c", "custom", query="a,b,c", current=("b",)),
        Variable("k", "constant", query="fixed"),
        Variable("i", "interval", query="1m,5m"),
        Variable("m", "custom", query="x,y,z", multi=True),
        Variable("bad", "query", query="label_values(rate(x[1m]), job)"),
        m=["z", "nope", "x"],
    )
    assert got["ds"][:2] == (("prometheus",), ("prometheus",))
    assert got["c"][:2] == (("a", "b", "c"), ("b",))  # the saved current value
    assert got["k"][:2] == (("fixed",), ("fixed",))
    assert got["i"][:2] == (("1m", "5m"), ("1m",))  # first option by default
    assert got["m"][1] == ("z", "x")  # unknown values dropped, order kept
    assert got["bad"][0] == () and "bad:" in str(got["bad"][3])
