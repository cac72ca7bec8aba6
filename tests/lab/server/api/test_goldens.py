"""Byte-for-byte answers of Prometheus 2.42 on the same data (recorded from the
real server; see conftest.golden_storage), for the shapes that matter to
clients: value and timestamp formatting, escaping, result types, errors."""

from __future__ import annotations

import pytest

from tests.lab.server.api.serving import Client

M1 = '{"__name__":"m","a":"1"}'
M2 = '{"__name__":"m","a":"2","b":"\\u003c\\u0026\\u003e"}'

GOLDENS: list[tuple[str, int, str]] = [
    (
        "/api/v1/query?query=m&time=1700000060.5",
        200,
        '{"status":"success","data":{"resultType":"vector","result":['
        f'{{"metric":{M1},"value":[1700000060.500,"123456789012345680"]}},'
        f'{{"metric":{M2},"value":[1700000060.500,"+Inf"]}}]}}}}',
    ),
    (
        "/api/v1/query_range?query=m&start=1700000000&end=1700000061&step=15",
        200,
        '{"status":"success","data":{"resultType":"matrix","result":['
        f'{{"metric":{M1},"values":[[1700000000,"1"],[1700000015,"0.1"],[1700000030,"1e-07"],'
        '[1700000045,"1e+21"],[1700000060,"1e+21"]]},'
        f'{{"metric":{M2},"values":[[1700000000,"NaN"],[1700000015,"NaN"],[1700000030,"NaN"],'
        '[1700000045,"NaN"],[1700000060,"+Inf"]]}]}}',
    ),
    (
        "/api/v1/query_range?query=m&start=2023-11-14T22:13:20Z&end=2023-11-14T22:14:20.5Z&step=30s",
        200,
        '{"status":"success","data":{"resultType":"matrix","result":['
        f'{{"metric":{M1},"values":[[1700000000,"1"],[1700000030,"1e-07"],[1700000060,"1e+21"]]}},'
        f'{{"metric":{M2},"values":[[1700000000,"NaN"],[1700000030,"NaN"],[1700000060,"+Inf"]]}}'
        "]}}",
    ),
    (
        "/api/v1/query?query=m%5B1m%5D&time=1700000061",
        200,
        '{"status":"success","data":{"resultType":"matrix","result":['
        f'{{"metric":{M1},"values":[[1700000015,"0.1"],[1700000030,"1e-07"],'
        '[1700000045,"1e+21"],[1700000060.500,"123456789012345680"]]},'
        f'{{"metric":{M2},"values":[[1700000060,"+Inf"]]}}]}}}}',
    ),
    (
        "/api/v1/query?query=1.5&time=1700000060.1234",
        200,
        '{"status":"success","data":{"resultType":"scalar","result":[1700000060.123,"1.5"]}}',
    ),
    (
        "/api/v1/query?query=%22s%22&time=1700000060",
        200,
        '{"status":"success","data":{"resultType":"string","result":[1700000060,"s"]}}',
    ),
    (
        "/api/v1/query?query=m%2Bon(a)group_left%20m&time=1700000060",
        200,
        '{"status":"success","data":{"resultType":"vector","result":['
        '{"metric":{"a":"1"},"value":[1700000060,"2e+21"]},'
        '{"metric":{"a":"2","b":"\\u003c\\u0026\\u003e"},"value":[1700000060,"+Inf"]}]}}',
    ),
    (
        "/api/v1/query?query=m%7B&time=1700000060",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": '
        '1:3: parse error: unexpected end of input inside braces"}',
    ),
    (
        "/api/v1/query?query=sum(m&time=1700000060",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": '
        '1:6: parse error: unclosed left parenthesis"}',
    ),
    (
        "/api/v1/query?query=1&time=abc",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"time\\": '
        'Invalid time value for \'time\': cannot parse \\"abc\\" to a valid timestamp"}',
    ),
    (
        "/api/v1/query",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": '
        '1:1: parse error: no expression found in input"}',
    ),
    (
        "/api/v1/query?query=m&time=1700000060&timeout=xx",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"timeout\\": '
        'cannot parse \\"xx\\" to a valid duration"}',
    ),
    (
        "/api/v1/query_range?query=m&start=1700000000&end=1700000061&step=0",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"step\\": '
        "zero or negative query resolution step widths are not accepted. "
        'Try a positive integer"}',
    ),
    (
        "/api/v1/query_range?query=m&start=1700000000&end=1600000061&step=15",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"end\\": '
        'end timestamp must not be before start time"}',
    ),
    (
        "/api/v1/query_range?query=m&start=1700000000&end=1800000061&step=1",
        400,
        '{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of '
        '11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}',
    ),
    (
        "/api/v1/query_range?query=m&start=1700000000&end=1700000061&step=x",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"step\\": '
        'cannot parse \\"x\\" to a valid duration"}',
    ),
    (
        "/api/v1/query_range?query=m&start=1700000000&end=1700000061",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"step\\": '
        'cannot parse \\"\\" to a valid duration"}',
    ),
    (
        "/api/v1/query_range?query=m&end=1700000061&step=15",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"start\\": '
        'cannot parse \\"\\" to a valid timestamp"}',
    ),
    (
        "/api/v1/query_range?query=m%5B1m%5D&start=1700000000&end=1700000061&step=15",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid expression type '
        '\\"range vector\\" for range query, must be Scalar or instant Vector"}',
    ),
    (
        "/api/v1/query_range?query=sum(m&start=1700000000&end=1700000061&step=15",
        400,
        '{"status":"error","errorType":"bad_data","error":"1:6: parse error: '
        'unclosed left parenthesis"}',
    ),
    (
        "/api/v1/series",
        400,
        '{"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}',
    ),
    (
        "/api/v1/series?match[]=m",
        200,
        '{"status":"success","data":[{"__name__":"m","a":"1"},'
        '{"__name__":"m","a":"2","b":"\\u003c\\u0026\\u003e"}]}',
    ),
    ("/api/v1/series?match[]=m&start=1800000000", 200, '{"status":"success","data":[]}'),
    (
        "/api/v1/series?match[]=m%7B&match[]=up",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"match[]\\": '
        '1:3: parse error: unexpected end of input inside braces"}',
    ),
    (
        "/api/v1/series?match[]=m&start=x",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"start\\": '
        'Invalid time value for \'start\': cannot parse \\"x\\" to a valid timestamp"}',
    ),
    (
        "/api/v1/series?match[]=%7Ba=~%22.*%22%7D",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"match[]\\": '
        'match[] must contain at least one non-empty matcher"}',
    ),
    (
        "/api/v1/labels",
        200,
        '{"status":"success","data":["__name__","a","b","instance","job"]}',
    ),
    ("/api/v1/labels?match[]=up", 200, '{"status":"success","data":["__name__","instance","job"]}'),
    ("/api/v1/label/a/values", 200, '{"status":"success","data":["1","2"]}'),
    (
        "/api/v1/label/__name__/values?start=1700000000&end=1700000100",
        200,
        '{"status":"success","data":["m","up"]}',
    ),
    (
        "/api/v1/label/1bad/values",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid label name: \\"1bad\\""}',
    ),
    (
        "/api/v1/label/a/values?match[]=m%7Bb%3D%22%3C%26%3E%22%7D",
        200,
        '{"status":"success","data":["2"]}',
    ),
    ("/api/v1/metadata", 200, '{"status":"success","data":{}}'),
    (
        "/api/v1/metadata?limit=x",
        400,
        '{"status":"error","errorType":"bad_data","error":"limit must be a number"}',
    ),
    (
        "/api/v1/targets",
        200,
        '{"status":"success","data":{"activeTargets":[],"droppedTargets":[]}}',
    ),
    ("/api/v1/targets/metadata", 200, '{"status":"success","data":[]}'),
    (
        "/api/v1/format_query?query=sum(rate(x%5B5m%5D))by(job)",
        200,
        '{"status":"success","data":"sum by (job) (rate(x[5m]))"}',
    ),
    (
        "/api/v1/format_query?query=sum(x",
        400,
        '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": '
        '1:6: parse error: unclosed left parenthesis"}',
    ),
    ("/api/v1/rules", 200, '{"status":"success","data":{"groups":[]}}'),
    ("/api/v1/alerts", 200, '{"status":"success","data":{"alerts":[]}}'),
    ("/api/v1/query_exemplars?query=m&start=1&end=2", 200, '{"status":"success","data":[]}'),
]


@pytest.mark.parametrize(("path", "status", "body"), GOLDENS, ids=[g[0][:70] for g in GOLDENS])
def test_golden(api: Client, path: str, status: int, body: str) -> None:
    reply = api.get(path)
    assert (reply.status, reply.text) == (status, body)
    assert reply.headers["Content-Type"] == "application/json"


def test_execution_error_is_422(api: Client) -> None:
    reply = api.get("/api/v1/query", {"query": "m + on() m", "time": "1700000060"})
    assert reply.status == 422
    body = reply.json()
    assert body["status"] == "error" and body["errorType"] == "execution"
    assert "many-to-many matching not allowed" in body["error"]


def test_unknown_endpoint_is_404_text(api: Client) -> None:
    reply = api.get("/api/v1/nonexistent")
    assert (reply.status, reply.text) == (404, "404 page not found\n")


def test_put_on_query_is_405(api: Client) -> None:
    reply = api.request("/api/v1/query", method="PUT", form={"query": "m"})
    assert reply.status == 405
    assert "POST" in reply.headers["Allow"]


def test_stats_param_adds_stats(api: Client) -> None:
    data = api.get("/api/v1/query", {"query": "m", "time": "1700000060", "stats": "1"}).json()
    assert set(data["data"]) == {"resultType", "result", "stats"}
    assert set(data["data"]["stats"]) == {"timings", "samples"}


def test_admin_api_disabled(api: Client) -> None:
    reply = api.post("/api/v1/admin/tsdb/snapshot")
    assert reply.status == 500
    assert reply.text == (
        '{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}'
    )
