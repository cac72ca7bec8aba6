"""``info(v, {selector})`` (experimental): enrich series with info-metric labels.

For each series of ``v`` and each step, the info series (``target_info`` unless
the selector names others) that share its identifying labels (``instance``,
``job``, those present on the series) contribute their data labels; among info
series with the same name and identifying labels, the one with the newest
sample wins. Info series are looked up at the same reference times as the
samples of ``v`` (its ``@``/``offset``, through subqueries too).

The per-step work is vectorized: winners are computed per signature as (T,)
arrays, and output label sets are built once per distinct combination of
winners of a series, not per step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lab.model.labels import METRIC_NAME, Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import (
    AtKind,
    AtModifier,
    Call,
    Expr,
    MatrixSelector,
    NumberLiteral,
    SubqueryExpr,
    VectorSelector,
)
from lab.server.promql.values import BOOL, F64, I64, InstantVector

if TYPE_CHECKING:
    from lab.server.promql.evaluator import Evaluator

IDENTIFYING_LABELS = ("instance", "job")


def _children(e: Expr) -> list[Expr]:
    out: list[Expr] = []
    for name in ("expr", "lhs", "rhs", "vector"):
        child = getattr(e, name, None)
        if isinstance(child, Expr):
            out.append(child)
    if isinstance(e, Call):
        out.extend(e.args)
    return out


def _time_shift(ev: Evaluator, e: Expr) -> tuple[int | None, int]:
    """(pinned time, shift) so that the reference time of the first selector
    in ``e`` is ``(pinned or t) - shift`` for an outer step ``t``."""
    pinned: int | None = None
    shift = 0
    node: Expr | None = e
    while node is not None:
        if isinstance(node, SubqueryExpr | VectorSelector):
            at: AtModifier | None = node.at
            off = ev.duration_ms(node.offset) if node.offset is not None else 0
            if at is not None:
                pinned, shift = ev.at_ms(at), off
            else:
                shift += off
            if isinstance(node, VectorSelector):
                break
        kids = _children(node)
        node = kids[0] if kids else None
        if isinstance(node, MatrixSelector):
            node = node.vector
    return pinned, shift


def eval_info(ev: Evaluator, call: Call, ctx: EvalContext) -> InstantVector:
    base = ev.eval(call.args[0], ctx)
    if not isinstance(base, InstantVector):
        raise EvalError("info() expects an instant vector")
    data: list[Matcher] = []
    names: list[Matcher] = []
    if len(call.args) > 1:
        sel = call.args[1]
        if not isinstance(sel, VectorSelector):
            raise EvalError("info() expects a label selector as second argument")
        for m in sel.matchers:
            (names if m.name == METRIC_NAME else data).append(m)
    if not names:
        names = [Matcher(MatchType.EQUAL, METRIC_NAME, "target_info")]
    elif not any(m.type in (MatchType.EQUAL, MatchType.REGEX) for m in names):
        # only exclusions: the candidates are still info metrics
        names.append(Matcher(MatchType.REGEX, METRIC_NAME, ".+_info"))
    # Info series themselves are passed through unenriched.
    ignore = np.array(
        [all(m.matches(lab.name) for m in names) for lab in base.labels], dtype=bool
    )
    id_values: dict[str, set[str]] = {}
    for lab, skip in zip(base.labels, ignore, strict=True):
        if skip:
            continue
        for n, v in lab:
            if n in IDENTIFYING_LABELS:
                id_values.setdefault(n, set()).add(v)
    info_vec: InstantVector | None = None
    info_ts: I64 | None = None
    if id_values:
        import re

        matchers = list(names) + list(data)
        for n, vals in sorted(id_values.items()):
            matchers.append(
                Matcher(MatchType.REGEX, n, "|".join(re.escape(v) for v in sorted(vals)))
            )
        pinned, shift = _time_shift(ev, call.args[0])
        vs = VectorSelector(
            None,
            tuple(matchers),
            offset=NumberLiteral(shift / 1000.0),
            at=AtModifier(AtKind.TIME, pinned / 1000.0) if pinned is not None else None,
        )
        info_vec, info_ts = ev.select_instant(vs, ctx)
    return _combine(base, ignore, info_vec, info_ts, data)


def _sig(name: str, labels: Labels) -> tuple[str, Labels]:
    return name, labels.only(*IDENTIFYING_LABELS)


def _combine(
    base: InstantVector,
    ignore: BOOL,
    info: InstantVector | None,
    info_ts: I64 | None,
    data: list[Matcher],
) -> InstantVector:
    steps = base.values.shape[1]
    all_match_empty = all(m.matches("") for m in data)
    data_names = {m.name for m in data}
    # winner per signature: (T,) index into info series, -1 when none
    winners: dict[tuple[str, Labels], I64] = {}
    info_names: list[str] = []
    if info is not None and info_ts is not None and info.num_series:
        groups: dict[tuple[str, Labels], list[int]] = {}
        for i, lab in enumerate(info.labels):
            groups.setdefault(_sig(lab.name, lab), []).append(i)
        for sig, members in groups.items():
            ts = np.where(info.present[members], info_ts[members], np.iinfo(np.int64).min)
            best = np.argmax(ts, axis=0)
            top = ts[best, np.arange(steps)]
            if len(members) > 1:
                ties = (ts == top[None, :]).sum(axis=0) > 1
                if (ties & (top != np.iinfo(np.int64).min)).any():
                    raise EvalError("found duplicate series for info metric")
            idx = np.asarray(members, dtype=np.int64)[best]
            winners[sig] = np.where(top != np.iinfo(np.int64).min, idx, -1)
        info_names = sorted({s[0] for s in groups})
    out_labels: list[Labels] = []
    out_values: list[F64] = []
    out_present: list[BOOL] = []
    out_drop: list[bool] = []
    for s, lab in enumerate(base.labels):
        present = base.present[s]
        if ignore[s] or not winners:
            if ignore[s] or all_match_empty:
                out_labels.append(lab)
                out_values.append(base.values[s])
                out_present.append(present)
                out_drop.append(bool(base.drop_name[s]))
            continue
        cols = [winners.get(_sig(n, lab), np.full(steps, -1, dtype=np.int64)) for n in info_names]
        combo = np.stack(cols, axis=1)  # (T, names)
        uniq, inverse = np.unique(combo, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        for u, row in enumerate(uniq):
            mask = present & (inverse == u)
            if not mask.any():
                continue
            if (row < 0).all() and not all_match_empty:
                continue
            assert info is not None
            extra: dict[str, str] = {}
            base_names = set(lab.names())
            for idx in row[row >= 0]:
                for n, v in info.labels[int(idx)]:
                    if n == METRIC_NAME or (data_names and n not in data_names):
                        continue
                    if extra.get(n, v) != v:
                        raise EvalError(f"conflicting label: {n}")
                    if n not in base_names:
                        extra[n] = v
            new = Labels.from_pairs([*lab, *extra.items()]) if extra else lab
            out_labels.append(new)
            out_values.append(base.values[s])
            out_present.append(mask)
            out_drop.append(bool(base.drop_name[s]))
    if not out_labels:
        return InstantVector.empty(steps)
    return InstantVector(
        out_labels, np.vstack(out_values), np.vstack(out_present), np.array(out_drop)
    )
