"""Vector-to-vector arithmetic and comparisons with one-to-one / many-to-one
matching, ``group_left``/``group_right`` and the experimental ``fill`` modifiers.

As upstream, one-to-many (``group_right``) swaps the operands so that the right
side is always the "one" side, and swaps the values back for the operation.
``fill_left``/``fill_right`` apply to the sides *after* that swap, which is
what the corpus (fill-modifier.test) expects.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab.model.labels import METRIC_NAME, Labels
from lab.server.promql.errors import EvalError
from lab.server.promql.opsupport import go_labels_str, group_ids, merge_same_labels, sorted_groups
from lab.server.promql.parser.ast import BinaryExpr, Cardinality, VectorMatching
from lab.server.promql.values import BOOL, F64, I64, InstantVector

_EMPTY = Labels.from_sorted(())

ARITHMETIC: dict[str, Callable[[F64, F64], F64]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    # Go's math.Mod is C's fmod: the result takes the dividend's sign.
    "%": np.fmod,
    "^": np.power,
    "atan2": np.arctan2,
}
COMPARE: dict[str, Callable[[F64, F64], BOOL]] = {
    "==": np.equal,
    "!=": np.not_equal,
    ">": np.greater,
    "<": np.less,
    ">=": np.greater_equal,
    "<=": np.less_equal,
}


def apply_op(op: str, lhs: F64, rhs: F64) -> tuple[F64, BOOL | None]:
    """Elementwise ``lhs op rhs``: (value, keep). ``keep`` is None for arithmetic;
    for comparisons the value is the left operand and ``keep`` the outcome."""
    with np.errstate(all="ignore"):
        if op in ARITHMETIC:
            return np.asarray(ARITHMETIC[op](lhs, rhs), dtype=np.float64), None
        if op in COMPARE:
            return lhs, np.asarray(COMPARE[op](lhs, rhs), dtype=bool)
    raise EvalError(f"operator {op!r} not allowed for this operation")


def signature(labels: Labels, matching: VectorMatching) -> Labels:
    """The labels two series must share to match (``ignoring`` also ignores the name)."""
    if matching.on:
        return labels.only(*matching.labels)
    return labels.without(*matching.labels, METRIC_NAME)


def result_metric(ls: Labels, rs: Labels, matching: VectorMatching) -> Labels:
    """Upstream's ``resultMetric``: the output labels of a matched pair."""
    out = dict(ls)
    if matching.card is Cardinality.ONE_TO_ONE:
        if matching.on:
            keep = set(matching.labels)
            out = {k: v for k, v in out.items() if k in keep}
        else:
            for name in matching.labels:
                out.pop(name, None)
    # Included labels come from the "one" side; missing there means removed.
    for name in matching.include:
        value = rs.get(name)
        if value:
            out[name] = value
        else:
            out.pop(name, None)
    return Labels.from_pairs(out.items())


def match_vectors(
    node: BinaryExpr, matching: VectorMatching, lhs: InstantVector, rhs: InstantVector
) -> InstantVector:
    if matching.card is Cardinality.MANY_TO_MANY:
        raise EvalError("many-to-many only allowed for set operators")
    swapped = matching.card is Cardinality.ONE_TO_MANY
    left, right = (rhs, lhs) if swapped else (lhs, rhs)
    fill_l, fill_r = node.fill_left, node.fill_right
    steps = left.values.shape[1] if left.num_series else right.values.shape[1]
    if not left.num_series and not right.num_series:
        return InstantVector.empty(steps)

    sig_keys = [signature(lbl, matching) for lbl in left.labels]
    sig_keys += [signature(lbl, matching) for lbl in right.labels]
    ids, sigs = group_ids(sig_keys)
    lsig, rsig = ids[: left.num_series], ids[left.num_series :]
    nsig = len(sigs)

    if fill_l is None and fill_r is None:
        # Upstream returns nothing (and checks nothing) at a step where a side is empty.
        active: BOOL = np.asarray(left.present.any(axis=0) & right.present.any(axis=0))
    else:
        active = np.ones(steps, dtype=bool)
    l_pres = left.present & active[None, :]
    r_pres = right.present & active[None, :]
    rhs_at = np.full((nsig, steps), -1, dtype=np.int64)
    if len(np.unique(rsig)) == len(rsig):
        # Distinct signatures on the "one" side: no duplicates possible, and
        # each signature row comes from exactly one right series.
        rhs_at[rsig] = np.where(r_pres, np.arange(len(rsig))[:, None], -1)
    else:
        _check_one_side_unique(right, rsig, r_pres, nsig, matching, swapped)
        rows, cols = np.nonzero(r_pres)
        rhs_at[rsig[rows], cols] = rows
    j = rhs_at[lsig]
    matched = l_pres & (j >= 0)
    if matching.card is Cardinality.ONE_TO_ONE and len(np.unique(lsig)) < len(lsig):
        _check_left_unique(lsig, matched, nsig)
    filled_r = (l_pres & (j < 0)) if fill_r is not None else np.zeros_like(matched)
    pairs = matched | filled_r
    rv = np.zeros_like(left.values)
    if right.num_series:
        rv = right.values[np.where(j >= 0, j, 0), np.arange(steps)[None, :]]
    if fill_r is not None:
        rv = np.where(filled_r, fill_r, rv)
    value, present = _evaluate(node, left.values, rv, pairs, swapped)

    # Each distinct (left series, right series or fill) pair is one candidate
    # output row; rows with equal labels are merged at the end.
    arith_or_bool = node.op not in COMPARE or node.return_bool
    blocks = _pair_rows(left, right, matching, j, filled_r, pairs, value, present, arith_or_bool)
    if matching.card is not Cardinality.ONE_TO_ONE:
        # Many-to-one: each matched pair must give a distinct result series.
        _check_unique_results(blocks, pairs_of=blocks.pairs)

    if fill_l is not None and right.num_series:
        blocks.extend(
            _fill_left_rows(
                node,
                matching,
                left,
                right,
                lsig,
                rsig,
                sigs,
                swapped,
                l_pres,
                r_pres,
                fill_l,
                arith_or_bool,
            )
        )
    keep = np.flatnonzero(blocks.present().any(axis=1))
    return merge_same_labels(
        [blocks.labels[int(i)] for i in keep],
        blocks.values()[keep],
        blocks.present()[keep],
        np.asarray(blocks.drop, dtype=bool)[keep],
    )


class _Rows:
    """Candidate output rows: labels, drop marks, (rows x steps) values/presence."""

    def __init__(self) -> None:
        self.labels: list[Labels] = []
        self.drop: list[bool] = []
        self._values: list[F64] = []
        self._present: list[BOOL] = []
        self.pairs: BOOL | None = None  # matched cells per row, for many-to-one checks

    def add(self, labels: list[Labels], drop: list[bool], values: F64, present: BOOL) -> None:
        self.labels += labels
        self.drop += drop
        self._values.append(values)
        self._present.append(present)

    def extend(self, other: _Rows) -> None:
        self.labels += other.labels
        self.drop += other.drop
        self._values += other._values
        self._present += other._present

    def values(self) -> F64:
        return np.vstack(self._values) if self._values else np.zeros((0, 0))

    def present(self) -> BOOL:
        return np.vstack(self._present) if self._present else np.zeros((0, 0), dtype=bool)


def _pair_rows(
    left: InstantVector,
    right: InstantVector,
    matching: VectorMatching,
    j: I64,
    filled_r: BOOL,
    pairs: BOOL,
    value: F64,
    present: BOOL,
    arith_or_bool: bool,
) -> _Rows:
    """One row per distinct (left series, right series or fill) pair."""
    steps = pairs.shape[1]
    out = _Rows()
    codes = np.where(filled_r, -1, j)
    has = pairs.any(axis=1)
    lo = np.where(pairs, codes, np.iinfo(np.int64).max).min(axis=1)
    hi = np.where(pairs, codes, -2).max(axis=1)
    if ((lo == hi) | ~has).all():
        # Common case: each left series meets one partner at every step.
        rows = np.flatnonzero(has)
        labels = [
            _result(left.labels[i], right.labels[lo[i]] if lo[i] >= 0 else _EMPTY, matching)
            for i in rows.tolist()
        ]
        drop = [bool(arith_or_bool or left.drop_name[i]) for i in rows.tolist()]
        out.add(labels, drop, value[rows], present[rows])
        out.pairs = pairs[rows]
        return out
    n_right = right.num_series + 1
    pr, pc = np.nonzero(pairs)
    cell_codes = pr * n_right + codes[pr, pc] + 1
    uniq, inv = np.unique(cell_codes, return_inverse=True)
    inv = inv.ravel()
    labels = []
    drop = []
    for code in uniq.tolist():
        li, rj = divmod(code, n_right)
        rs = right.labels[rj - 1] if rj > 0 else _EMPTY
        labels.append(_result(left.labels[li], rs, matching))
        drop.append(bool(arith_or_bool or left.drop_name[li]))
    vals = np.zeros((len(uniq), steps))
    pres = np.zeros((len(uniq), steps), dtype=bool)
    cell_pairs = np.zeros((len(uniq), steps), dtype=bool)
    vals[inv, pc] = value[pr, pc]
    pres[inv, pc] = present[pr, pc]
    cell_pairs[inv, pc] = True
    out.add(labels, drop, vals, pres)
    out.pairs = cell_pairs
    return out


def _result(ls: Labels, rs: Labels, matching: VectorMatching) -> Labels:
    if (
        matching.card is Cardinality.ONE_TO_ONE
        and not matching.on
        and not matching.labels
        and not matching.include
    ):
        return ls  # plain one-to-one: the left series' labels as they are
    return result_metric(ls, rs, matching)


def _check_unique_results(rows: _Rows, pairs_of: BOOL | None) -> None:
    if pairs_of is None or not len(rows.labels):
        return
    ids, uniques = group_ids(rows.labels)
    if len(uniques) == len(rows.labels):
        return
    order, starts = sorted_groups(ids, len(uniques))
    counts = np.add.reduceat(pairs_of[order].astype(np.int64), starts, axis=0)
    if (counts > 1).any():
        raise EvalError("multiple matches for labels: grouping labels must ensure unique matches")


def _fill_left_rows(
    node: BinaryExpr,
    matching: VectorMatching,
    left: InstantVector,
    right: InstantVector,
    lsig: I64,
    rsig: I64,
    sigs: list[Labels],
    swapped: bool,
    l_pres: BOOL,
    r_pres: BOOL,
    fill_l: float,
    arith_or_bool: bool,
) -> _Rows:
    """Right series whose signature no left series has at a step get a filled
    left operand, labelled with the match group's labels."""
    nsig, steps = len(sigs), r_pres.shape[1]
    lhs_has = np.zeros((nsig, steps), dtype=bool)
    lr, lc = np.nonzero(l_pres)
    lhs_has[lsig[lr], lc] = True
    need = r_pres & ~lhs_has[rsig]
    rows = np.flatnonzero(need.any(axis=1))
    out = _Rows()
    if not len(rows):
        return out
    v2, p2 = _evaluate(
        node, np.full((len(rows), steps), fill_l), right.values[rows], need[rows], swapped
    )
    labels = [result_metric(sigs[int(rsig[r])], right.labels[r], matching) for r in rows.tolist()]
    out.add(labels, [bool(arith_or_bool)] * len(rows), v2, p2)
    return out


def _evaluate(node: BinaryExpr, lv: F64, rv: F64, pairs: BOOL, swapped: bool) -> tuple[F64, BOOL]:
    """(value, present) of ``left op right`` where ``pairs`` holds; comparisons
    without ``bool`` filter and keep the original left operand's value."""
    fl, fr = (rv, lv) if swapped else (lv, rv)
    value, keep = apply_op(node.op, fl, fr)
    if keep is None:
        return value, pairs
    if node.return_bool:
        return np.where(keep, 1.0, 0.0), pairs
    return np.asarray(value, dtype=np.float64), pairs & keep


def _check_left_unique(lsig: I64, matched: BOOL, nsig: int) -> None:
    count = np.zeros((nsig, matched.shape[1]), dtype=np.int64)
    mr, mc = np.nonzero(matched)
    np.add.at(count, (lsig[mr], mc), 1)
    if (count > 1).any():
        raise EvalError(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)"
        )


def _check_one_side_unique(
    right: InstantVector,
    rsig: I64,
    r_pres: BOOL,
    nsig: int,
    matching: VectorMatching,
    swapped: bool,
) -> None:
    steps = r_pres.shape[1]
    count = np.zeros((nsig, steps), dtype=np.int64)
    rows, cols = np.nonzero(r_pres)
    np.add.at(count, (rsig[rows], cols), 1)
    if not (count > 1).any():
        return
    t = int(np.flatnonzero((count > 1).any(axis=0))[0])
    seen: dict[int, int] = {}
    first = second = -1
    for r in np.flatnonzero(r_pres[:, t]).tolist():
        s = int(rsig[r])
        if s in seen:
            first, second = seen[s], r
            break
        seen[s] = r
    pair = sorted([right.labels[first], right.labels[second]])
    matched = signature(right.labels[first], matching)
    side = "left" if swapped else "right"
    raise EvalError(
        f"found duplicate series for the match group {go_labels_str(matched)} on the {side} "
        f"hand-side of the operation: [{go_labels_str(pair[0])}, {go_labels_str(pair[1])}]"
        ";many-to-many matching not allowed: matching labels must be unique on one side"
    )
