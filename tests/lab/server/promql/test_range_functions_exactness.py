"""The windowed Kahan loops (and their shortcuts) against upstream's sequential
loops written plainly, one window and one sample at a time: bit-identical.

Each strategy aims at one path of ``kahan.py``: small integers (the int64
prefix-sum shortcut), finite floats of wildly different magnitudes such as
1e100, 1, -1e100 (the in-place TwoSum loop) and values with NaN, infinities and
near-overflow magnitudes (the plain Neumaier loop). Small blocks exercise the
block boundaries of the TwoSum loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.server.promql import kahan
from lab.server.promql.range_functions import _pair_count, _sorted_windows, add_resets
from lab.server.promql.range_windows import Flat, grid_window_bounds

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# -- upstream's loops, sample by sample ---------------------------------------------


def _inc(inc: float, s: float, c: float) -> tuple[float, float]:
    t = s + inc
    if math.isinf(t):
        c = 0.0
    elif abs(s) >= abs(inc):
        c += (s - t) + inc
    else:
        c += (inc - t) + s
    return t, c


def ref_sum(xs: list[float]) -> float:
    s, c = 0.0, 0.0
    for x in xs:
        s, c = _inc(x, s, c)
    return s if math.isinf(s) else s + c


def ref_mean(xs: list[float]) -> float:
    if not xs:
        return math.nan
    s, count = xs[0], 1.0
    mean, c = 0.0, 0.0
    incremental = False
    for i, x in enumerate(xs[1:]):
        count = float(i + 2)
        if not incremental:
            ns, nc = _inc(x, s, c)
            if not math.isinf(ns):
                s, c = ns, nc
                continue
            incremental = True
            mean = s / (count - 1)
            c /= count - 1
        q = (count - 1) / count
        mean, c = _inc(x / count, q * mean, q * c)
    if incremental:
        return mean + c
    return s / count + c / count


def ref_variance(xs: list[float]) -> float:
    if not xs:
        return math.nan
    count = 0.0
    mean, cmean, aux, caux = 0.0, 0.0, 0.0, 0.0
    for x in xs:
        count += 1
        delta = x - (mean + cmean)
        mean, cmean = _inc(delta / count, mean, cmean)
        aux, caux = _inc(delta * (x - (mean + cmean)), aux, caux)
    return (aux + caux) / count


def ref_regression(ts: list[int], ys: list[float], icpt: int) -> tuple[float, ...]:
    sums = [0.0] * 8
    for t, y in zip(ts, ys, strict=True):
        x = float(t - icpt) / 1e3
        for j, term in enumerate((x, y, x * y, x * x)):
            sums[2 * j], sums[2 * j + 1] = _inc(term, sums[2 * j], sums[2 * j + 1])
    return tuple(sums[2 * j] + sums[2 * j + 1] for j in range(4))


# -- data -------------------------------------------------------------------------------

SMALL_INTS = st.integers(-1000, 1000).map(float)
# 2**400 is the largest magnitude the TwoSum path accepts
MAGNITUDES = st.sampled_from(
    [1e100, 1.0, -1e100, -1.0, 1e-300, 0.5, -0.0, 0.0, 3e15, 2.0**-1074, 2.0**400, -(2.0**400)]
)
FINITE = st.one_of(
    MAGNITUDES,
    st.floats(-1e12, 1e12),
    st.floats(allow_nan=False, max_value=1e120, min_value=-1e120),
)
WILD = st.one_of(
    FINITE,
    st.sampled_from([math.nan, math.inf, -math.inf, 1.7e308, -1.7e308, 2.0**401, 2.0**1000]),
)
VALUES = st.sampled_from(["ints", "finite", "wild"]).flatmap(
    lambda kind: st.lists(
        {"ints": SMALL_INTS, "finite": FINITE, "wild": WILD}[kind], min_size=1, max_size=40
    )
)


@st.composite
def windows(draw: st.DrawFn, size: int) -> tuple[I64, I64]:
    """Random windows inside ``[0, size)``: empty, single-sample, overlapping."""
    count = draw(st.integers(1, 12))
    lo, hi = [], []
    for _ in range(count):
        a = draw(st.integers(0, size))
        b = draw(st.integers(a, min(size, a + draw(st.integers(0, 25)))))
        lo.append(a)
        hi.append(b)
    return np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64)


@contextmanager
def block_size(n: int) -> Iterator[None]:
    saved = kahan._BLOCK
    kahan._BLOCK = n
    try:
        yield
    finally:
        kahan._BLOCK = saved


def bits(a: F64) -> list[int]:
    """Bit patterns, with every NaN folded into one (payloads are not specified)."""
    arr = np.where(np.isnan(a), np.nan, np.asarray(a, dtype=np.float64))
    return [int(v) for v in arr.view(np.uint64)]


def check(
    fast: Callable[[F64, I64, I64], F64],
    ref: Callable[[list[float]], float],
    data: st.DataObject,
    skip_empty: bool,
) -> None:
    xs = data.draw(VALUES)
    lo, hi = data.draw(windows(len(xs)))
    if skip_empty:
        # avg/stdvar callers never pass an empty window
        keep = hi > lo
        if not keep.any():
            return
        lo, hi = lo[keep], hi[keep]
    vals = np.array(xs, dtype=np.float64)
    with block_size(data.draw(st.sampled_from([1, 2, 3, 8192]))):
        got = fast(vals, lo, hi)
    want = np.array([ref(xs[a:b]) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)])
    assert bits(got) == bits(want), (xs, lo, hi, got, want)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_windowed_sum_is_upstreams_loop(data: st.DataObject) -> None:
    check(kahan.windowed_sum, ref_sum, data, skip_empty=False)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_windowed_mean_is_upstreams_loop(data: st.DataObject) -> None:
    check(kahan.windowed_mean, ref_mean, data, skip_empty=True)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_windowed_variance_is_upstreams_loop(data: st.DataObject) -> None:
    check(kahan.windowed_variance, ref_variance, data, skip_empty=True)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_regression_sums_are_upstreams_loop(data: st.DataObject) -> None:
    ys = data.draw(VALUES)
    # whole seconds on a common remainder (the integer shortcut) or arbitrary ms
    unit = data.draw(st.sampled_from([1, 1000, 15_000]))
    rem = data.draw(st.sampled_from([0, 7, 999]))
    gaps = data.draw(st.lists(st.integers(1, 40), min_size=len(ys), max_size=len(ys)))
    ts = (np.cumsum(gaps) * unit + rem + 1_700_000_000_000).astype(np.int64)
    lo, hi = data.draw(windows(len(ys)))
    # deriv's intercept is each window's first sample, predict_linear's a step time
    if data.draw(st.booleans()):
        icpt = ts[np.minimum(lo, len(ys) - 1)]
    else:
        icpt = ts[np.minimum(hi, len(ys) - 1)] + data.draw(st.sampled_from([0, 1, 15_000]))
    vals = np.array(ys, dtype=np.float64)
    with block_size(data.draw(st.sampled_from([1, 2, 3, 8192]))):
        got = kahan.regression_sums(ts, vals, lo, hi, icpt)
    tl = ts.tolist()
    for w, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        if b - a < 1:
            continue  # no point, never read
        want = ref_regression(tl[a:b], ys[a:b], int(icpt[w]))
        assert [bits(g[w : w + 1])[0] for g in got] == bits(np.array(want)), (w, ys, tl)


def test_each_path_is_taken() -> None:
    """The strategies above reach all three paths (guards, not timings)."""
    ints = np.array([1.0, -3.0, 7.0])
    assert kahan.exact_in_any_order(ints, 3)
    assert not kahan.exact_in_any_order(ints + 0.5, 3)
    assert kahan.safe_magnitude(np.array([1e100, 1.0, -1e100]))
    assert not kahan.safe_magnitude(np.array([1.0, math.nan]))
    assert not kahan.safe_magnitude(np.array([1.0, math.inf]))
    assert not kahan.safe_magnitude(np.array([2.0**401]))


def test_int_window_sums_survive_prefix_wraparound() -> None:
    # the prefix passes 2**63 but each window's own sum is small
    terms = np.array([2**62, 2**62, 5, -(2**62), -(2**62), 3], dtype=np.int64)
    got = kahan.int_window_sums(terms, np.array([2, 1, 0]), np.array([3, 4, 6]))
    assert got.tolist() == [5, 5, 8]


def test_exact_prefix_path_needs_only_window_sums_to_be_small() -> None:
    # a long array of large integers: the whole-array prefix exceeds 2**53,
    # which a float prefix sum would round; each 2-sample window stays exact
    vals = np.full(4000, 2.0**42 + 1.0)
    lo = np.arange(0, 3998, dtype=np.int64)
    got = kahan.windowed_sum(vals, lo, lo + 2)
    assert np.all(got == 2 * (2.0**42 + 1.0))


# -- window bounds on a grid of steps ---------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(-50_000, 50_000), max_size=30).map(sorted), min_size=1, max_size=5
    ),
    st.integers(-60_000, 60_000),
    st.integers(1, 20_000),
    st.integers(1, 12),
    st.integers(0, 40_000),
)
def test_grid_window_bounds_are_searchsorted(
    series: list[list[int]], start: int, step: int, steps: int, range_ms: int
) -> None:
    tss = [np.array(s, dtype=np.int64) for s in series]
    refs = start + step * np.arange(steps, dtype=np.int64)
    got = grid_window_bounds(tss, refs, range_ms)
    assert got is not None
    lo = [np.searchsorted(ts, refs - range_ms, side="right") for ts in tss]
    hi = [np.searchsorted(ts, refs, side="right") for ts in tss]
    assert got[0].tolist() == np.array(lo).reshape(len(tss), steps).tolist()
    assert got[1].tolist() == np.array(hi).reshape(len(tss), steps).tolist()


def test_grid_window_bounds_need_an_even_grid() -> None:
    ts = [np.array([0, 10], dtype=np.int64)]
    assert grid_window_bounds(ts, np.array([0, 5, 20], dtype=np.int64), 5) is None
    assert grid_window_bounds(ts, np.array([7, 7], dtype=np.int64), 5) is None  # @ pins
    assert grid_window_bounds(ts, np.zeros(0, dtype=np.int64), 5) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=30), st.data())
def test_pair_counts_are_plain_counts(flags: list[bool], data: st.DataObject) -> None:
    # the last flag belongs to flatten's padding slot and never counts
    n = len(flags) - 1
    lo, hi = data.draw(windows(n))
    f = Flat(np.zeros(n + 1, dtype=np.int64), np.zeros(n + 1), lo, hi)
    got = _pair_count(f, np.array(flags, dtype=bool))
    want = [sum(flags[a + 1 : b]) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
    assert got.tolist() == want


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_sorted_windows_are_gos_order(data: st.DataObject) -> None:
    xs = data.draw(st.lists(st.one_of(WILD, st.sampled_from([0.0, -0.0])), min_size=1, max_size=30))
    lo, hi = data.draw(windows(len(xs)))
    vals = np.array([*xs, 0.0])  # flatten's padding slot
    f = Flat(np.zeros(vals.size, dtype=np.int64), vals, lo, hi)
    got, n = _sorted_windows(f)
    assert n.tolist() == (hi - lo).tolist()
    for w, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        window = xs[a:b]
        # NaN first, then ascending; Python's sort is stable (-0.0 vs 0.0 kept)
        want = [x for x in window if math.isnan(x)] + sorted(x for x in window if not math.isnan(x))
        assert bits(got[w, : b - a]) == bits(np.array(want, dtype=np.float64))


def test_sorted_windows_keep_signed_zeros_in_order() -> None:
    # long enough for numpy's unstable sort to reorder -0.0 and 0.0
    rng = np.random.default_rng(0)
    xs = np.where(rng.random(300) < 0.5, 0.0, -0.0)
    xs[::7] = rng.random(xs[::7].size)
    xs[::11] = math.nan
    vals = np.append(xs, 0.0)
    f = Flat(np.zeros(vals.size, dtype=np.int64), vals, np.array([0]), np.array([300]))
    got, _ = _sorted_windows(f)
    window = xs.tolist()
    want = [x for x in window if math.isnan(x)] + sorted(x for x in window if not math.isnan(x))
    assert bits(got[0]) == bits(np.array(want))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_counter_resets_are_added_in_upstreams_order(data: st.DataObject) -> None:
    xs = data.draw(VALUES)
    lo, hi = data.draw(windows(len(xs)))
    base = data.draw(st.lists(FINITE, min_size=lo.size, max_size=lo.size))
    vals = np.array([*xs, 0.0])  # flatten's padding slot
    f = Flat(np.zeros(vals.size, dtype=np.int64), vals, lo, hi)
    got = add_resets(f, np.array(base))
    want = []
    for start, a, b in zip(base, lo.tolist(), hi.tolist(), strict=True):
        result = start
        for j in range(a + 1, b):
            if xs[j] < xs[j - 1]:
                result += xs[j - 1]
        want.append(result)
    assert bits(got) == bits(np.array(want))
