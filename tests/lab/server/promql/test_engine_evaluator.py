"""The evaluator and engine on hand-built ASTs (selection, lookback, staleness,
offset/@, subqueries, name dropping, result shapes)."""

import math

import pytest

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.model.value import STALE_NAN
from lab.server.promql.engine import Engine, MatrixResult, ScalarResult, VectorResult
from lab.server.promql.errors import EvalError, QueryTimeoutError, TooManySamplesError
from lab.server.promql.parser.ast import (
    AtKind,
    AtModifier,
    Call,
    MatrixSelector,
    NumberLiteral,
    SubqueryExpr,
    UnaryExpr,
    VectorSelector,
)
from lab.server.storage.memory import MemoryStorage


def sel(name: str, **kw: object) -> VectorSelector:
    return VectorSelector(name, (Matcher(MatchType.EQUAL, "__name__", name),), **kw)  # type: ignore[arg-type]


def dur(seconds: float) -> NumberLiteral:
    return NumberLiteral(seconds, duration=True)


@pytest.fixture
def storage() -> MemoryStorage:
    st = MemoryStorage()
    # metric: 0, 1, 2, ... every 10s up to 100s
    st.add_series(Labels.of(__name__="metric"), range(0, 101_000, 10_000), range(11))
    st.add_series(Labels.of(__name__="gone"), [0, 30_000, 60_000], [1.0, 2.0, STALE_NAN])
    return st


def vector(res: object) -> dict[Labels, float]:
    assert isinstance(res, VectorResult)
    return {s.labels: s.value for s in res.samples}


def test_instant_selector_lookback_is_left_open(storage: MemoryStorage) -> None:
    eng = Engine()
    lab = Labels.of(__name__="metric")
    assert vector(eng.instant_query_expr(storage, sel("metric"), 55_000).value) == {lab: 5.0}
    # the last sample is at 100s: visible at 399.999s, gone at 400s
    assert vector(eng.instant_query_expr(storage, sel("metric"), 399_999).value) == {lab: 10.0}
    assert vector(eng.instant_query_expr(storage, sel("metric"), 400_000).value) == {}


def test_staleness_marker_hides_series(storage: MemoryStorage) -> None:
    eng = Engine()
    assert vector(eng.instant_query_expr(storage, sel("gone"), 59_000).value)
    assert vector(eng.instant_query_expr(storage, sel("gone"), 60_000).value) == {}


def test_offset_and_at(storage: MemoryStorage) -> None:
    eng = Engine()
    lab = Labels.of(__name__="metric")
    q = sel("metric", offset=dur(20))
    assert vector(eng.instant_query_expr(storage, q, 55_000).value) == {lab: 3.0}
    q = sel("metric", at=AtModifier(AtKind.TIME, 30.0))
    res = eng.range_query_expr(storage, q, 0, 100_000, 50_000)
    assert isinstance(res.value, MatrixResult)
    assert [v for _, v in res.value.series[0].points] == [3.0, 3.0, 3.0]
    q = sel("metric", at=AtModifier(AtKind.END))
    res = eng.range_query_expr(storage, q, 0, 60_000, 30_000)
    assert isinstance(res.value, MatrixResult)
    assert [v for _, v in res.value.series[0].points] == [6.0, 6.0, 6.0]


def test_matrix_selector_instant_result_and_window(storage: MemoryStorage) -> None:
    eng = Engine()
    q = MatrixSelector(sel("metric"), dur(30))
    res = eng.instant_query_expr(storage, q, 50_000).value
    assert isinstance(res, MatrixResult)
    assert res.series[0].points == [(30_000, 3.0), (40_000, 4.0), (50_000, 5.0)]
    with pytest.raises(EvalError, match="invalid expression type"):
        eng.range_query_expr(storage, q, 0, 10_000, 1000)


def test_subquery_alignment_is_left_open(storage: MemoryStorage) -> None:
    eng = Engine()
    # [30s:10s] at 50s: inner steps strictly after 20s -> 30, 40, 50
    q = Call("sum_over_time", (SubqueryExpr(sel("metric"), dur(30), dur(10)),))
    res = eng.instant_query_expr(storage, q, 50_000)
    assert vector(res.value) == {Labels(): 3.0 + 4.0 + 5.0}


def test_range_function_drops_name_and_duplicate_labelset_fails() -> None:
    st = MemoryStorage()
    st.add_series(Labels.of(__name__="a", job="x"), [0, 10_000], [1.0, 2.0])
    st.add_series(Labels.of(__name__="b", job="x"), [0, 10_000], [1.0, 2.0])
    eng = Engine()
    both = VectorSelector(None, (Matcher(MatchType.REGEX, "__name__", "a|b"),))
    with pytest.raises(EvalError, match="same labelset"):
        eng.instant_query_expr(st, Call("changes", (MatrixSelector(both, dur(60)),)), 10_000)
    last = Call("last_over_time", (MatrixSelector(both, dur(60)),))
    res = eng.instant_query_expr(st, last, 10_000)
    assert len(vector(res.value)) == 2
    with pytest.raises(EvalError, match="same labelset"):
        eng.instant_query_expr(st, UnaryExpr("-", both), 10_000)


def test_scalar_results(storage: MemoryStorage) -> None:
    eng = Engine()
    res = eng.instant_query_expr(storage, NumberLiteral(2.5), 0)
    assert res.value == ScalarResult(0, 2.5)
    r = eng.range_query_expr(storage, NumberLiteral(1.0), 0, 20_000, 10_000)
    assert isinstance(r.value, MatrixResult)
    assert r.value.series[0].labels == Labels()
    assert len(r.value.series[0].points) == 3


def test_timestamp_uses_sample_time(storage: MemoryStorage) -> None:
    eng = Engine()
    res = eng.instant_query_expr(storage, Call("timestamp", (sel("metric"),)), 55_000)
    assert vector(res.value) == {Labels(): 50.0}


def test_max_samples(storage: MemoryStorage) -> None:
    eng = Engine(max_samples=2)
    with pytest.raises(TooManySamplesError):
        eng.instant_query_expr(
            storage, Call("count_over_time", (MatrixSelector(sel("metric"), dur(60)),)), 100_000
        )
    assert not math.isnan(
        vector(Engine().instant_query_expr(storage, sel("metric"), 0).value)[
            Labels.of(__name__="metric")
        ]
    )


def test_timeout_raises_upstream_error(storage: MemoryStorage) -> None:
    # A negative budget is expired before the first node: deterministic, no sleeping.
    eng = Engine(timeout_s=-1.0)
    with pytest.raises(QueryTimeoutError, match=r"^query timed out in query execution$"):
        eng.range_query(storage, "sum(rate(metric[1m]))", 0, 100_000, 10_000)


def test_too_many_samples_message_is_upstreams(storage: MemoryStorage) -> None:
    with pytest.raises(TooManySamplesError) as info:
        Engine(max_samples=1).range_query(storage, "metric", 0, 100_000, 10_000)
    assert str(info.value) == (
        "query processing would load too many samples into memory in query execution"
    )
