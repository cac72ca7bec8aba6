"""Kahan-Neumaier compensated summation, vectorized, bit-compatible with upstream.

Prometheus sums floats with ``kahanSumInc`` (Neumaier's variant). The corpus
encodes its exact results, including cases where compensation still goes wrong
(``functions.test``: an average that comes out as 0 instead of -44.8), so an
"exact" sum such as ``math.fsum`` is not acceptable: we reproduce the same
sequence of float operations, element-wise over whole arrays.

API:

* ``kahan_inc(inc, s, c) -> (s, c)``: one step for arrays (or scalars) of equal
  shape: add ``inc`` into the running sum ``s`` with compensation ``c``.
* ``kahan_result(s, c)``: the final value, ``s + c`` (``s`` alone once infinite).
* ``windowed_sum`` / ``windowed_mean`` / ``windowed_variance`` /
  ``regression_sums``: upstream's sequential loops over ``values[lo[i]:hi[i]]``
  for every window ``i`` at once.

Windowed loops advance one window position at a time, each step vectorized
over all windows (the Python loop runs (longest window) times per block of
windows). Two shortcuts give the same bits as the sequential loop:

* **Exact data** (integers whose window sums stay below 2**52): every partial
  sum is exact, so Kahan's compensation stays 0 and the sum is the exact sum,
  taken from int64 prefix sums.
* **Finite, bounded data** (no value above 2**400 in magnitude): no partial sum
  can overflow, so Neumaier's branch on ``|s| >= |inc|`` and the reset on
  infinity never change anything. Both branches compute the *exact* rounding
  error of ``s + inc`` (Fast2Sum with the larger operand first), as does Knuth's
  branch-free TwoSum, so ``c + err`` is the same float either way. TwoSum runs
  in place on preallocated buffers, on blocks of windows that stay in cache.

Anything else (NaN, infinities, huge magnitudes) takes the plain Neumaier loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Below this magnitude, integer-valued float sums are exact in any order.
_EXACT_LIMIT = float(2**52)
#: At most this magnitude, sums (and Welford's squares) of any realistic number
#: of terms stay far from overflow: 2**800 * 2**63 terms < 2**1024.
SAFE_LIMIT = float(2**400)
#: Windows per block: ~10 float64 buffers of this size stay in L2 cache.
_BLOCK = 16384


def kahan_inc(inc: F64, s: F64, c: F64) -> tuple[F64, F64]:
    """One Neumaier step: ``t = s + inc``; the lost low bits go into ``c``.

    Like upstream, ``c`` is reset to 0 when the sum becomes infinite, so that
    the final ``s + c`` stays infinite instead of turning into NaN."""
    with np.errstate(all="ignore"):
        t = s + inc
        big = np.abs(s) >= np.abs(inc)
        c_new = c + np.where(big, (s - t) + inc, (inc - t) + s)
        c_new = np.where(np.isinf(t), 0.0, c_new)
    return t, c_new


def kahan_result(s: F64, c: F64) -> F64:
    with np.errstate(all="ignore"):
        return np.where(np.isinf(s), s, s + c)


def exact_in_any_order(values: F64, max_terms: int) -> bool:
    """True when every partial sum of up to ``max_terms`` of ``values`` is exact
    (integers of bounded size): then Kahan's result is the exact sum."""
    if values.size == 0:
        return True
    if not np.all(np.isfinite(values)):
        return False
    if float(np.max(np.abs(values))) * max(max_terms, 1) >= _EXACT_LIMIT:
        return False
    return bool(np.all(values == np.round(values)))


def safe_magnitude(values: F64) -> bool:
    """All finite and at most ``SAFE_LIMIT``: the TwoSum path applies."""
    if values.size == 0:
        return True
    with np.errstate(all="ignore"):
        return bool(np.max(np.abs(values)) <= SAFE_LIMIT)  # NaN compares False


def int_window_sums(terms: I64, lo: I64, hi: I64) -> I64:
    """``sum(terms[lo:hi])`` per window from an int64 prefix sum. The prefix may
    wrap around 2**64; differences are still right modulo 2**64, hence exact
    for any window whose true sum fits in an int64."""
    prefix = np.empty(terms.size + 1, dtype=np.int64)
    prefix[0] = 0
    np.cumsum(terms, out=prefix[1:])
    return np.asarray(prefix[hi] - prefix[lo], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """Windows sorted by length, longest first, so that the windows still
    active at position k are a prefix of the sorted order: ``[:active[k]]``."""

    order: I64  # sorted position -> window
    lo: I64  # sorted window starts
    n: I64  # sorted window lengths
    active: I64  # active[k]: windows longer than k

    @classmethod
    def of(cls, lo: I64, hi: I64) -> WindowPlan:
        n = hi - lo
        order = np.argsort(-n, kind="stable")
        sn = n[order]
        maxn = int(sn[0]) if sn.size else 0
        active = np.searchsorted(-sn, -np.arange(maxn), side="left").astype(np.int64)
        return cls(order, lo[order], sn, active)

    @property
    def size(self) -> int:
        return int(self.order.size)

    def blocks(self) -> Iterator[tuple[int, int, list[tuple[int, int, int]]]]:
        """``(a, b, runs)``: sorted windows ``[a, b)`` and runs ``(m, k0, k1)``:
        at positions ``k0 <= k < k1`` the first ``m`` of them are active. Runs
        are few (window lengths vary little), so views are sliced per run."""
        for a in range(0, self.size, _BLOCK):
            b = min(a + _BLOCK, self.size)
            ms = np.minimum(self.active[: int(self.n[a])], b) - a
            starts = np.flatnonzero(np.diff(ms, prepend=-1))
            ends = np.append(starts[1:], ms.size) if ms.size else starts
            runs = list(zip(ms[starts].tolist(), starts.tolist(), ends.tolist(), strict=True))
            yield a, b, runs

    def unsort(self, sorted_values: F64) -> F64:
        out = np.empty(self.size)
        out[self.order] = sorted_values
        return out


class Scratch:
    """Preallocated buffers for in-place steps on a block of windows."""

    def __init__(self, count: int, size: int) -> None:
        self.buf = [np.empty(size) for _ in range(count)]

    def views(self, m: int) -> list[F64]:
        return [b[:m] for b in self.buf]


class PingPong:
    """A running sum kept in two buffers written alternately (step k reads
    ``buf[k % 2]`` and writes the other), which saves a copy per step. All the
    windows active at step k have taken k steps, so the parity is shared."""

    def __init__(self, size: int) -> None:
        self.buf = (np.zeros(size), np.zeros(size))

    def views(self, a: int, m: int) -> tuple[F64, F64]:
        return self.buf[0][a : a + m], self.buf[1][a : a + m]

    def final(self, steps: I64) -> F64:
        """Each window's value after its own number of steps."""
        return np.where(steps % 2 == 1, self.buf[1], self.buf[0])


def two_sum_step(x: F64, s: F64, c: F64, t: F64, d: F64, e: F64) -> None:
    """``t = s + x`` and, in place, ``c += err`` where ``err`` is the exact
    rounding error of ``s + x`` (Knuth's TwoSum; ``d``, ``e`` are scratch).
    Equal to ``kahan_inc`` whenever nothing overflows (module docstring)."""
    np.add(s, x, out=t)
    np.subtract(t, s, out=d)  # the part of x that made it into t
    np.subtract(t, d, out=e)
    np.subtract(s, e, out=e)  # what was lost of s
    np.subtract(x, d, out=d)  # what was lost of x
    np.add(e, d, out=e)
    np.add(c, e, out=c)


def _two_sum_windows(values: F64, plan: WindowPlan, skip_first: bool) -> tuple[F64, F64]:
    """Sorted ``(s, c)`` of each window, by TwoSum steps. ``skip_first``: start
    from ``s = values[lo]`` (avg_over_time's loop) rather than from 0."""
    first = 1 if skip_first else 0
    s = PingPong(plan.size)
    c_all = np.zeros(plan.size)
    scratch = Scratch(3, _BLOCK)
    idx = np.empty(_BLOCK, dtype=np.int64)
    for a, b, runs in plan.blocks():
        if first and runs:
            m0 = runs[0][0]
            np.take(values, plan.lo[a : a + m0], out=s.buf[0][a : a + m0])
        np.add(plan.lo[a:b], first, out=idx[: b - a])
        for m, k0, k1 in runs:
            x, d, e = scratch.views(m)
            sv, cm, im = s.views(a, m), c_all[a : a + m], idx[:m]
            for k in range(max(k0, first), k1):
                np.take(values, im, out=x)
                im += 1
                p = (k - first) % 2
                two_sum_step(x, sv[p], cm, sv[1 - p], d, e)
    return s.final(plan.n - first), c_all


def _neumaier_windows(values: F64, plan: WindowPlan) -> tuple[F64, F64]:
    """Sorted ``(s, c)`` of each window, by upstream's own steps."""
    s = np.zeros(plan.size)
    c = np.zeros(plan.size)
    for k in range(plan.active.size):
        m = int(plan.active[k])
        s[:m], c[:m] = kahan_inc(values[plan.lo[:m] + k], s[:m], c[:m])
    return s, c


def windowed_sum(values: F64, lo: I64, hi: I64) -> F64:
    """Kahan sums of ``values[lo:hi]`` for each window (0 for empty windows)."""
    lo = lo.ravel()
    hi = hi.ravel()
    if lo.size == 0:
        return np.zeros(0)
    maxn = int((hi - lo).max())
    if exact_in_any_order(values, maxn):
        return int_window_sums(values.astype(np.int64), lo, hi).astype(np.float64)
    plan = WindowPlan.of(lo, hi)
    if safe_magnitude(values):
        s, c = _two_sum_windows(values, plan, skip_first=False)
        return plan.unsort(s + c)
    s, c = _neumaier_windows(values, plan)
    return plan.unsort(kahan_result(s, c))


def windowed_mean(values: F64, lo: I64, hi: I64) -> F64:
    """Upstream's ``avg_over_time``: the direct mean ``sum/count`` with Kahan
    compensation, switching to an incremental mean for a window whose sum
    overflows. NaN for empty windows."""
    lo = lo.ravel()
    hi = hi.ravel()
    n = (hi - lo).astype(np.float64)
    if lo.size == 0:
        return np.zeros(0)
    maxn = int(n.max())
    with np.errstate(all="ignore"):
        if exact_in_any_order(values, maxn):
            # c stays 0 and s is never -0.0, so s/n + c/n == s/n
            sums = int_window_sums(values.astype(np.int64), lo, hi).astype(np.float64)
            return np.asarray(sums / n, dtype=np.float64)
        plan = WindowPlan.of(lo, hi)
        if safe_magnitude(values):
            # no sum can overflow, so the incremental mean never kicks in
            s, c = _two_sum_windows(values, plan, skip_first=True)
            sn = plan.n.astype(np.float64)
            return plan.unsort(s / sn + c / sn)
    return plan.unsort(_neumaier_mean(values, plan))


def _neumaier_mean(values: F64, plan: WindowPlan) -> F64:
    w = plan.size
    slo = plan.lo
    s = np.zeros(w)
    c = np.zeros(w)
    mean = np.zeros(w)
    incr = np.zeros(w, dtype=bool)
    maxn = plan.active.size
    with np.errstate(all="ignore"):
        if maxn > 0:
            m = int(plan.active[0])
            s[:m] = values[slo[:m]]
        for k in range(1, maxn):
            m = int(plan.active[k])
            x = values[slo[:m] + k]
            count = float(k + 1)
            inc = incr[:m]
            ns, nc = kahan_inc(x, s[:m], c[:m])
            overflow = np.isinf(ns) & ~inc
            keep = ~inc & ~overflow
            s[:m] = np.where(keep, ns, s[:m])
            c[:m] = np.where(keep, nc, c[:m])
            # switch the overflowing windows to the incremental mean
            mean[:m] = np.where(overflow, s[:m] / (count - 1), mean[:m])
            c[:m] = np.where(overflow, c[:m] / (count - 1), c[:m])
            incr[:m] = inc | overflow
            q = (count - 1) / count
            nm, nc2 = kahan_inc(x / count, q * mean[:m], q * c[:m])
            mean[:m] = np.where(incr[:m], nm, mean[:m])
            c[:m] = np.where(incr[:m], nc2, c[:m])
        sn = plan.n.astype(np.float64)
        return np.asarray(np.where(incr, mean + c, s / sn + c / sn), dtype=np.float64)


def windowed_variance(values: F64, lo: I64, hi: I64) -> F64:
    """Upstream's ``stdvar_over_time``: Welford's update with Kahan-compensated
    mean and sum of squares, population variance. NaN for empty windows."""
    lo = lo.ravel()
    hi = hi.ravel()
    if lo.size == 0:
        return np.zeros(0)
    plan = WindowPlan.of(lo, hi)
    with np.errstate(all="ignore"):
        if safe_magnitude(values):
            aux, caux = _two_sum_welford(values, plan)
        else:
            aux, caux = _neumaier_welford(values, plan)
        return plan.unsort((aux + caux) / plan.n.astype(np.float64))


def _two_sum_welford(values: F64, plan: WindowPlan) -> tuple[F64, F64]:
    """Sorted ``(aux, cAux)`` by TwoSum steps (values finite, so the mean,
    deltas and squares stay far from overflow)."""
    mean = PingPong(plan.size)
    aux = PingPong(plan.size)
    cmean_all = np.zeros(plan.size)
    caux_all = np.zeros(plan.size)
    scratch = Scratch(6, _BLOCK)
    idx = np.empty(_BLOCK, dtype=np.int64)
    for a, b, runs in plan.blocks():
        idx[: b - a] = plan.lo[a:b]
        scratch.buf[0][: b - a] = 0.0  # mean + cMean, before the first sample
        for m, k0, k1 in runs:
            mc, x, delta, inc, d, e = scratch.views(m)
            mv, av = mean.views(a, m), aux.views(a, m)
            cmean, caux = cmean_all[a : a + m], caux_all[a : a + m]
            im = idx[:m]
            for k in range(k0, k1):
                p = k % 2
                np.take(values, im, out=x)
                im += 1
                # delta := f - (mean + cMean); mean, cMean += delta / count
                np.subtract(x, mc, out=delta)
                np.divide(delta, float(k + 1), out=inc)
                two_sum_step(inc, mv[p], cmean, mv[1 - p], d, e)
                # aux, cAux += delta * (f - (mean + cMean)); the new mean + cMean
                # is also the next sample's
                np.add(mv[1 - p], cmean, out=mc)
                np.subtract(x, mc, out=inc)
                np.multiply(delta, inc, out=inc)
                two_sum_step(inc, av[p], caux, av[1 - p], d, e)
    return aux.final(plan.n), caux_all


def _neumaier_welford(values: F64, plan: WindowPlan) -> tuple[F64, F64]:
    w = plan.size
    mean = np.zeros(w)
    cmean = np.zeros(w)
    aux = np.zeros(w)
    caux = np.zeros(w)
    for k in range(plan.active.size):
        m = int(plan.active[k])
        x = values[plan.lo[:m] + k]
        count = float(k + 1)
        delta = x - (mean[:m] + cmean[:m])
        mean[:m], cmean[:m] = kahan_inc(delta / count, mean[:m], cmean[:m])
        aux[:m], caux[:m] = kahan_inc(delta * (x - (mean[:m] + cmean[:m])), aux[:m], caux[:m])
    return aux, caux


# -- linear regression (deriv, predict_linear) ------------------------------------------


def regression_sums(
    ts: I64, values: F64, lo: I64, hi: I64, icpt_ms: I64
) -> tuple[F64, F64, F64, F64]:
    """Upstream's ``linearRegression`` sums over each window, compensation
    added: x, y, x*y, x*x with ``x = float64(t - icpt) / 1e3`` (seconds)."""
    lo = lo.ravel()
    hi = hi.ravel()
    icpt = icpt_ms.ravel()
    if lo.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)
    exact = _exact_regression_sums(ts, values, lo, hi, icpt)
    if exact is not None:
        return exact
    plan = WindowPlan.of(lo, hi)
    sic = icpt[plan.order]
    if safe_magnitude(values):
        # |x| < 2**54 (int64 ms), so x*y and x*x stay far from overflow too
        sums = _two_sum_regression(ts, values, plan, sic)
    else:
        sums = _neumaier_regression(ts, values, plan, sic)
    with np.errstate(all="ignore"):
        sx, sy, sxy, sx2 = (plan.unsort(sums[2 * j] + sums[2 * j + 1]) for j in range(4))
    return sx, sy, sxy, sx2


def _exact_regression_sums(
    ts: I64, values: F64, lo: I64, hi: I64, icpt: I64
) -> tuple[F64, F64, F64, F64] | None:
    """The sums from int64 prefix sums, when every term and partial sum is an
    exact integer below 2**52; None when that cannot be shown.

    Timestamps congruent modulo 1000 ms (a whole number of seconds apart from
    every intercept) make each ``x = (t - icpt) / 1e3`` an exact integer
    ``U - V`` with ``U = t // 1000``, ``V = icpt // 1000`` (after removing the
    common remainder); with integer values, bounded so that every window's sum
    of ``|term|`` stays below 2**52, each float term and each partial sum is
    exact, Kahan's compensation stays 0 and the result is the exact sum."""
    n = hi - lo
    live = n > 0
    if not live.any() or ts.size == 0:
        return None
    rem = int(ts[0]) % 1000
    if np.any((ts - rem) % 1000 != 0) or np.any((icpt[live] - rem) % 1000 != 0):
        return None
    if not exact_in_any_order(values, 1):
        return None
    maxn = float(n.max())
    big_y = float(np.max(np.abs(values)))
    ends = np.concatenate([ts[lo[live]] - icpt[live], ts[hi[live] - 1] - icpt[live]])
    big_x = float(np.max(np.abs(ends))) / 1e3
    if big_x >= 2.0**40 or maxn * max(big_x, 1.0) * max(big_y, big_x, 1.0) >= _EXACT_LIMIT:
        return None
    u = (ts - rem) // 1000
    v = (icpt - rem) // 1000
    y = values.astype(np.int64)
    # int64 arithmetic wraps modulo 2**64; every true result is below 2**52 in
    # magnitude, so the wrapped results are the true ones
    su = int_window_sums(u, lo, hi)
    sy = int_window_sums(y, lo, hi)
    suy = int_window_sums(u * y, lo, hi)
    su2 = int_window_sums(u * u, lo, hi)
    sx = su - n * v
    sxy = suy - v * sy
    sx2 = su2 - 2 * v * su + n * v * v
    return (
        sx.astype(np.float64),
        sy.astype(np.float64),
        sxy.astype(np.float64),
        sx2.astype(np.float64),
    )


def _two_sum_regression(ts: I64, values: F64, plan: WindowPlan, sic: I64) -> list[F64]:
    sums = [PingPong(plan.size) for _ in range(4)]
    comp = [np.zeros(plan.size) for _ in range(4)]
    scratch = Scratch(6, _BLOCK)
    idx = np.empty(_BLOCK, dtype=np.int64)
    dt = np.empty(_BLOCK, dtype=np.int64)
    for a, b, runs in plan.blocks():
        idx[: b - a] = plan.lo[a:b]
        for m, k0, k1 in runs:
            x, y, xy, xx, d, e = scratch.views(m)
            im, dm, icm = idx[:m], dt[:m], sic[a : a + m]
            acc = [(sums[j].views(a, m), comp[j][a : a + m]) for j in range(4)]
            for k in range(k0, k1):
                p = k % 2
                np.take(ts, im, out=dm)
                np.subtract(dm, icm, out=dm)
                np.divide(dm, 1e3, out=x)  # float64(t - icpt) / 1e3
                np.take(values, im, out=y)
                im += 1
                np.multiply(x, y, out=xy)
                np.multiply(x, x, out=xx)
                for term, (sv, cj) in zip((x, y, xy, xx), acc, strict=True):
                    two_sum_step(term, sv[p], cj, sv[1 - p], d, e)
    out: list[F64] = []
    for j in range(4):
        out += [sums[j].final(plan.n), comp[j]]
    return out


def _neumaier_regression(ts: I64, values: F64, plan: WindowPlan, sic: I64) -> list[F64]:
    sums = [np.zeros(plan.size) for _ in range(8)]
    with np.errstate(all="ignore"):
        for k in range(plan.active.size):
            m = int(plan.active[k])
            at = plan.lo[:m] + k
            y = values[at]
            x = (ts[at] - sic[:m]).astype(np.float64) / 1e3
            for j, term in enumerate((x, y, x * y, x * x)):
                s, c = kahan_inc(term, sums[2 * j][:m], sums[2 * j + 1][:m])
                sums[2 * j][:m] = s
                sums[2 * j + 1][:m] = c
    return sums
