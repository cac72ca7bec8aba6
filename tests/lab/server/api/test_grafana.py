"""The requests Grafana's Prometheus data source sends, as it sends them
(form-encoded POSTs for queries, GETs with start/end for metadata), and the
fields of the answers it reads."""

from __future__ import annotations

from tests.lab.server.api.serving import Client

GRAFANA_HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "X-Grafana-Org-Id": "1",
    "User-Agent": "Grafana/11.0.0",
}


def test_range_query_post_form(api: Client) -> None:
    reply = api.post(
        "/api/v1/query_range",
        {"query": 'm{a="1"}', "start": "1700000000", "end": "1700000060", "step": "15"},
        headers=GRAFANA_HEADERS,
    )
    assert reply.status == 200
    body = reply.json()
    assert body["status"] == "success"
    assert body["data"]["resultType"] == "matrix"
    [series] = body["data"]["result"]
    assert series["metric"] == {"__name__": "m", "a": "1"}
    assert series["values"][0] == [1700000000, "1"]
    assert len(series["values"]) == 5


def test_range_query_post_equals_get(api: Client) -> None:
    params = {"query": "m", "start": "1700000000", "end": "1700000060", "step": "15"}
    assert (
        api.post("/api/v1/query_range", params).body == api.get("/api/v1/query_range", params).body
    )


def test_form_body_wins_over_url(api: Client) -> None:
    reply = api.request(
        "/api/v1/query?query=nope&time=1",
        method="POST",
        form={"query": "1+1", "time": "1700000000"},
    )
    assert reply.json()["data"]["result"] == [1700000000, "2"]


def test_instant_query_post_form(api: Client) -> None:
    reply = api.post(
        "/api/v1/query", {"query": "up", "time": "1700000060"}, headers=GRAFANA_HEADERS
    )
    assert reply.json()["data"] == {
        "resultType": "vector",
        "result": [
            {
                "metric": {"__name__": "up", "instance": "h:1", "job": "x"},
                "value": [1700000060, "1"],
            }
        ],
    }


def test_health_check_query(api: Client) -> None:
    # Grafana's "Save & test" evaluates 1+1 at the current time.
    reply = api.get("/api/v1/query", {"query": "1+1", "time": "1700000061"})
    assert reply.json() == {
        "status": "success",
        "data": {"resultType": "scalar", "result": [1700000061, "2"]},
    }


def test_labels_get_and_post(api: Client) -> None:
    params = {"start": "1700000000", "end": "1700000100"}
    get = api.get("/api/v1/labels", params, headers=GRAFANA_HEADERS)
    post = api.post("/api/v1/labels", params, headers=GRAFANA_HEADERS)
    assert get.json()["data"] == ["__name__", "a", "b", "instance", "job"]
    assert get.body == post.body


def test_metric_names(api: Client) -> None:
    reply = api.get("/api/v1/label/__name__/values", {"start": "1700000000", "end": "1700000100"})
    assert reply.json() == {"status": "success", "data": ["m", "up"]}


def test_label_values_with_match(api: Client) -> None:
    reply = api.get(
        "/api/v1/label/job/values",
        [("match[]", '{__name__="up"}'), ("start", "1700000000"), ("end", "1700000100")],
    )
    assert reply.json()["data"] == ["x"]


def test_series_get_and_post(api: Client) -> None:
    params = [("match[]", '{__name__="up"}'), ("start", "1700000000"), ("end", "1700000100")]
    get = api.get("/api/v1/series", params)
    post = api.post("/api/v1/series", params)
    assert get.json()["data"] == [{"__name__": "up", "instance": "h:1", "job": "x"}]
    assert get.body == post.body


def test_metadata_shapes(api: Client) -> None:
    assert api.get("/api/v1/metadata").json() == {"status": "success", "data": {}}
    assert api.get("/api/v1/metadata", {"metric": "up"}).json()["data"] == {}


def test_buildinfo_version_is_semver(api: Client) -> None:
    data = api.get("/api/v1/status/buildinfo").json()["data"]
    assert set(data) == {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"}
    major, minor, patch = data["version"].split(".")
    assert int(major) >= 2 and minor.isdigit() and patch.isdigit()


def test_cors_headers(api: Client) -> None:
    reply = api.get("/api/v1/labels", headers={"Origin": "http://grafana:3000"})
    assert reply.headers["Access-Control-Allow-Origin"] == "http://grafana:3000"
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]


def test_malformed_multipart_body_is_400(api: Client) -> None:
    reply = api.request(
        "/api/v1/query",
        method="POST",
        form={"query": "1"},
        headers={"Content-Type": "multipart/form-data; boundary=zzz"},
    )
    assert reply.status == 400
    assert reply.json()["errorType"] == "bad_data"
