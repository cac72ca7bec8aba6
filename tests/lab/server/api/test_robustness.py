"""Bad input never escapes as anything but an ``ApiError`` (a 4xx/5xx JSON
answer with a message), whatever the parameters hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lab.server.api import query, series
from lab.server.api.errors import ApiError, TimeoutError_
from lab.server.api.params import Form
from lab.server.api.query import QuerySettings, map_engine_error
from lab.server.promql.errors import EvalError, QueryTimeoutError, TooManySamplesError
from tests.lab.server.api.conftest import golden_storage

STORAGE = golden_storage()
NOW = 1_700_000_061_000

numbers = st.sampled_from(
    ["0", "-1", "1e300", "-1e300", "1e-300", "NaN", "Inf", "0x1p4", "1.5", "15s", "1h", "", "x"]
)
text = st.one_of(numbers, st.text(max_size=12))
queries = st.one_of(
    st.sampled_from(["m", "up", "sum(m)", "m[1m]", "rate(m[5m])", "m{", '"s"', "1", "time()"]),
    st.text(max_size=20),
)


def _form(**values: str) -> Form:
    return Form({}, {k: [v] for k, v in values.items()})


@settings(max_examples=150, deadline=None)
@given(q=queries, t=text, timeout=text, limit=text)
def test_instant_query_params(q: str, t: str, timeout: str, limit: str) -> None:
    try:
        query.instant_query(
            STORAGE, _form(query=q, time=t, timeout=timeout, limit=limit), QuerySettings(), NOW
        )
    except ApiError as exc:
        assert exc.message and 400 <= exc.status < 600


@settings(max_examples=150, deadline=None)
@given(q=queries, start=text, end=text, step=text)
def test_range_query_params(q: str, start: str, end: str, step: str) -> None:
    try:
        query.range_query(STORAGE, _form(query=q, start=start, end=end, step=step), QuerySettings())
    except ApiError as exc:
        assert exc.message and 400 <= exc.status < 600


@settings(max_examples=100, deadline=None)
@given(match=queries, start=text, limit=text)
def test_series_params(match: str, start: str, limit: str) -> None:
    try:
        series.series(STORAGE, _form(**{"match[]": match, "start": start, "limit": limit}))
        series.label_names(STORAGE, _form(**{"match[]": match, "start": start}))
    except ApiError as exc:
        assert exc.status == 400


def test_engine_errors_map_to_upstream_types() -> None:
    assert isinstance(map_engine_error(QueryTimeoutError()), TimeoutError_)
    assert map_engine_error(QueryTimeoutError()).status == 503
    too_many = map_engine_error(TooManySamplesError())
    assert (too_many.error_type, too_many.status) == ("execution", 422)
    assert map_engine_error(EvalError("x")).status == 422
    internal = map_engine_error(ZeroDivisionError("boom"))
    assert (internal.error_type, internal.status) == ("internal", 500)
    assert "Traceback" not in internal.message


def test_max_samples_is_422() -> None:
    settings_ = QuerySettings(max_samples=1)
    try:
        query.range_query(
            STORAGE, _form(query="m", start="1700000000", end="1700000060", step="15"), settings_
        )
    except ApiError as exc:
        assert (exc.error_type, exc.status) == ("execution", 422)
        assert exc.message == (
            "query processing would load too many samples into memory in query execution"
        )
    else:
        raise AssertionError("max_samples=1 did not stop the query")


def test_limit_truncates_with_warning() -> None:
    result = query.instant_query(
        STORAGE, _form(query="m", time="1700000060", limit="1"), QuerySettings(), NOW
    )
    assert result.warnings == ["results truncated due to limit"]
    assert result.data.count('"metric"') == 1
