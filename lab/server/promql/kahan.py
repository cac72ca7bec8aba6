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
* ``windowed_sum(values, lo, hi)``: the Kahan sum of ``values[lo[i]:hi[i]]`` for
  every window ``i``, in upstream's order (oldest first).

Aggregations over series (``sum by``) call ``kahan_inc`` once per input series
with (T,) arrays, which keeps the per-step work vectorized.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Below this magnitude, integer-valued float sums are exact in any order.
_EXACT_LIMIT = float(2**52)


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
    (integers of bounded size): then plain prefix sums equal Kahan's result."""
    if values.size == 0:
        return True
    if not np.all(np.isfinite(values)):
        return False
    if float(np.max(np.abs(values))) * max(max_terms, 1) >= _EXACT_LIMIT:
        return False
    return bool(np.all(values == np.round(values)))


def _order_by_length(lo: I64, hi: I64) -> tuple[I64, I64, I64]:
    """Windows sorted by length, longest first, so that the windows still
    active at position k are always a prefix: ``[:active[k]]``."""
    n = hi - lo
    order = np.argsort(-n, kind="stable")
    maxn = int(n.max()) if n.size else 0
    sorted_n = n[order]
    # active[k] = number of windows longer than k
    active = np.searchsorted(-sorted_n, -np.arange(maxn), side="left").astype(np.int64)
    return order, active, lo[order]


def windowed_sum(values: F64, lo: I64, hi: I64) -> F64:
    """Kahan sums of ``values[lo:hi]`` for each window (0 for empty windows).

    Integer data takes a prefix-sum fast path (exact, so identical). Otherwise
    the sums advance one window position at a time, each step vectorized over
    all windows: the Python loop runs (longest window) times, independent of
    the number of series and steps."""
    lo = lo.ravel()
    hi = hi.ravel()
    n = hi - lo
    if lo.size == 0:
        return np.zeros(0)
    maxn = int(n.max())
    if exact_in_any_order(values, maxn):
        prefix = np.concatenate([[0.0], np.cumsum(values)])
        return np.asarray(prefix[hi] - prefix[lo], dtype=np.float64)
    order, active, slo = _order_by_length(lo, hi)
    s = np.zeros(lo.size)
    c = np.zeros(lo.size)
    for k in range(maxn):
        m = int(active[k])
        s[:m], c[:m] = kahan_inc(values[slo[:m] + k], s[:m], c[:m])
    out = np.empty(lo.size)
    out[order] = kahan_result(s, c)
    return out


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
    if exact_in_any_order(values, maxn):
        prefix = np.concatenate([[0.0], np.cumsum(values)])
        with np.errstate(all="ignore"):
            return np.asarray((prefix[hi] - prefix[lo]) / n, dtype=np.float64)
    order, active, slo = _order_by_length(lo, hi)
    w = lo.size
    s = np.zeros(w)
    c = np.zeros(w)
    mean = np.zeros(w)
    incr = np.zeros(w, dtype=bool)
    with np.errstate(all="ignore"):
        if maxn > 0:
            m = int(active[0])
            s[:m] = values[slo[:m]]
        for k in range(1, maxn):
            m = int(active[k])
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
        sn = n[order]
        res = np.where(incr, mean + c, s / sn + c / sn)
    out = np.empty(w)
    out[order] = res
    return out


def windowed_variance(values: F64, lo: I64, hi: I64) -> F64:
    """Upstream's ``stdvar_over_time``: Welford's update with Kahan-compensated
    mean and sum of squares, population variance. NaN for empty windows."""
    lo = lo.ravel()
    hi = hi.ravel()
    w = lo.size
    if w == 0:
        return np.zeros(0)
    n = (hi - lo).astype(np.float64)
    maxn = int(n.max())
    order, active, slo = _order_by_length(lo, hi)
    mean = np.zeros(w)
    cmean = np.zeros(w)
    aux = np.zeros(w)
    caux = np.zeros(w)
    with np.errstate(all="ignore"):
        for k in range(maxn):
            m = int(active[k])
            x = values[slo[:m] + k]
            count = float(k + 1)
            delta = x - (mean[:m] + cmean[:m])
            mean[:m], cmean[:m] = kahan_inc(delta / count, mean[:m], cmean[:m])
            aux[:m], caux[:m] = kahan_inc(delta * (x - (mean[:m] + cmean[:m])), aux[:m], caux[:m])
        res = (aux + caux) / n[order]
    out = np.empty(w)
    out[order] = res
    return out
