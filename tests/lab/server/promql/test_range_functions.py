"""Range functions on hand-built range vectors and ASTs (no parser needed)."""

import math

import numpy as np
import pytest

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.promql import kahan
from lab.server.promql.context import EvalContext
from lab.server.promql.parser.ast import (
    Call,
    MatrixSelector,
    NumberLiteral,
    VectorSelector,
)
from lab.server.promql.range_functions import RANGE_FUNCTIONS
from lab.server.promql.range_windows import WindowedRangeVector
from lab.server.promql.values import InstantVector, RangeSeries, Scalar

NAME = Matcher(MatchType.EQUAL, "__name__", "x_total")
SEL = MatrixSelector(VectorSelector("x_total", (NAME,)), NumberLiteral(300.0, duration=True))


def _rv(ts: list[int], vs: list[float], ends: list[int], range_ms: int) -> WindowedRangeVector:
    t = np.asarray(ts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    lo = np.searchsorted(t, e - range_ms, side="right")[None, :].astype(np.int64)
    hi = np.searchsorted(t, e, side="right")[None, :].astype(np.int64)
    s = RangeSeries(Labels.of(__name__="x_total"), t, np.asarray(vs, dtype=np.float64))
    return WindowedRangeVector([s], lo, hi, range_ms, ends=e)


def _call(name: str, rv: WindowedRangeVector, *extra: Scalar) -> InstantVector:
    ends = rv.ends
    ctx = EvalContext(int(ends[0]), int(ends[-1]), int(ends[1] - ends[0]) if ends.size > 1 else 0)
    out = RANGE_FUNCTIONS[name](ctx, Call(name, (SEL,)), [rv, *extra])
    assert isinstance(out, InstantVector)
    return out


def test_rate_extrapolates_like_upstream() -> None:
    # 0+10x10 every 1m: rate over 5m at 5m..10m is 10/60 per second
    ts = [i * 60_000 for i in range(11)]
    rv = _rv(ts, [10.0 * i for i in range(11)], [300_000, 600_000], 300_000)
    out = _call("rate", rv)
    assert out.present.all()
    np.testing.assert_allclose(out.values[0], [10 / 60, 10 / 60])
    assert out.drop_name.all()
    inc = _call("increase", rv)
    np.testing.assert_allclose(inc.values[0], [50.0, 50.0])


def test_counter_reset_and_resets_changes() -> None:
    ts = [0, 60_000, 120_000, 180_000]
    rv = _rv(ts, [5.0, 10.0, 2.0, 4.0], [180_000], 600_000)
    assert _call("resets", rv).values[0, 0] == 1.0
    assert _call("changes", rv).values[0, 0] == 3.0
    # increase: (4 - 5) + 10 = 9 before extrapolation; the zero point cuts the start
    inc = _call("increase", rv)
    assert inc.values[0, 0] > 9.0


def test_over_time_family() -> None:
    ts = [0, 10_000, 20_000, 30_000]
    vs = [1.0, math.nan, 3.0, 2.0]
    rv = _rv(ts, vs, [30_000], 60_000)
    assert _call("max_over_time", rv).values[0, 0] == 3.0
    assert _call("min_over_time", rv).values[0, 0] == 1.0
    assert _call("count_over_time", rv).values[0, 0] == 4.0
    assert _call("last_over_time", rv).values[0, 0] == 2.0
    assert not _call("last_over_time", rv).drop_name.any()
    assert math.isnan(_call("sum_over_time", rv).values[0, 0])


def test_quantile_over_time_and_empty_windows() -> None:
    ts = [0, 10_000, 20_000, 30_000]
    rv = _rv(ts, [4.0, 1.0, 3.0, 2.0], [30_000, 500_000], 60_000)
    q = Scalar(np.array([0.5, 0.5]))
    out = RANGE_FUNCTIONS["quantile_over_time"](
        EvalContext(30_000, 500_000, 470_000),
        Call("quantile_over_time", (NumberLiteral(0.5), SEL)),
        [q, rv],
    )
    assert isinstance(out, InstantVector)
    assert out.values[0, 0] == 2.5
    assert out.present.tolist() == [[True, False]]


def test_kahan_matches_upstream_extremes() -> None:
    vals = np.array([1.0, 1e100, 1.0, -1e100])
    assert kahan.windowed_sum(vals, np.array([0]), np.array([4]))[0] == 2.0
    metric11 = np.array(
        [-2.258e220, -1.78264e219, 0.76342771, 1.9592258, 2.3757689e217, -2.3757689e217,
         2.258e220, 7.69805412, 1.78264e219, -458.90154]
    )  # fmt: skip
    # upstream's (wrong but specified) result: Kahan cannot cope, the mean is 0
    assert kahan.windowed_mean(metric11, np.array([0]), np.array([10]))[0] == 0.0


@pytest.mark.parametrize("n", [1, 5, 50])
def test_windowed_sum_fast_and_slow_paths_agree(n: int) -> None:
    rng = np.random.default_rng(n)
    ints = rng.integers(-100, 100, size=n).astype(np.float64)
    lo = np.array([0, n // 2])
    hi = np.array([n, n])
    fast = kahan.windowed_sum(ints, lo, hi)
    np.testing.assert_array_equal(fast, [ints.sum(), ints[n // 2 :].sum()])
    frac = ints + 0.1
    slow = kahan.windowed_sum(frac, lo, hi)
    np.testing.assert_allclose(slow, [frac.sum(), frac[n // 2 :].sum()])
