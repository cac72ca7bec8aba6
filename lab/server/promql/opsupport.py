"""Helpers shared by aggregations, binary operators and functions.

* grouping series by a label key into dense group ids (computed once per
  series, never per step);
* Kahan-Neumaier compensated addition on whole arrays, exactly as upstream's
  ``kahansum.Inc`` (the corpus encodes its rounding, see aggregators.test);
* Go's string formatting where upstream prints into label values or messages
  (``%q``, ``Labels.String``; numbers: :mod:`lab.model.gofloat`);
* annotation texts with upstream's ``(line:col)`` suffix;
* merging output series that ended up with identical labels (upstream merges
  them across steps and fails on a clash within one step).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lab.model.gostr import go_quote
from lab.model.labels import Labels, is_legacy_label_name
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.parser.ast import PositionRange
from lab.server.promql.values import BOOL, F64, I64, InstantVector

DUPLICATE_LABELSET = "vector cannot contain metrics with the same labelset"


# --- grouping -----------------------------------------------------------------


def group_ids(keys: Sequence[Labels]) -> tuple[I64, list[Labels]]:
    """Dense ids in order of first appearance: ``ids[i]`` indexes ``uniques``."""
    index: dict[Labels, int] = {}
    ids = np.empty(len(keys), dtype=np.int64)
    for i, key in enumerate(keys):
        gid = index.get(key)
        if gid is None:
            gid = len(index)
            index[key] = gid
        ids[i] = gid
    return ids, list(index)


def sorted_groups(ids: I64, num_groups: int) -> tuple[I64, I64]:
    """(order, starts): series sorted by group (stable), and where each group's
    run begins, for ``ufunc.reduceat(arr[order], starts, axis=0)``. Every group
    has at least one member."""
    order = np.argsort(ids, kind="stable")
    starts = np.searchsorted(ids[order], np.arange(num_groups))
    return order, starts


def members_by_rank(ids: I64, num_groups: int) -> list[tuple[I64, I64]]:
    """For r = 0, 1, ...: (series indices, their group ids) of every group's r-th
    member in input order. Sequential per-group algorithms (Kahan sums,
    Welford) then loop over ranks, vectorised over groups and steps."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.searchsorted(sorted_ids, np.arange(num_groups))
    sizes = np.bincount(ids, minlength=num_groups)
    out: list[tuple[I64, I64]] = []
    groups = np.arange(num_groups)
    for r in range(int(sizes.max()) if num_groups else 0):
        live = groups[sizes > r]
        out.append((order[starts[live] + r], live))
    return out


# --- Go formatting -------------------------------------------------------------------




def go_labels_str(labels: Labels) -> str:
    """Go's ``labels.Labels.String()``: ``{__name__="x", a="b"}``."""
    parts = []
    for name, value in labels:
        shown = name if is_legacy_label_name(name) else go_quote(name)
        parts.append(f"{shown}={go_quote(value)}")
    return "{" + ", ".join(parts) + "}"


def is_valid_label_name(name: str) -> bool:
    """3.x UTF-8 validation: non-empty and valid UTF-8."""
    if not name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- annotations ------------------------------------------------------------------------


def position_suffix(ctx: EvalContext, pos: PositionRange) -> str:
    """`` (line:col)`` of ``pos`` in the query, as upstream renders annotations."""
    query = getattr(ctx, "query", None)
    if isinstance(query, str) and query:
        before = query[: pos.start]
        line = before.count("\n") + 1
        col = pos.start - (before.rfind("\n") + 1) + 1
    else:
        line, col = 1, pos.start + 1
    return f" ({line}:{col})"


def warn(ctx: EvalContext, pos: PositionRange, message: str) -> None:
    ctx.annotations.warn("PromQL warning: " + message + position_suffix(ctx, pos))


def info(ctx: EvalContext, pos: PositionRange, message: str) -> None:
    ctx.annotations.info("PromQL info: " + message + position_suffix(ctx, pos))


# --- output assembly ---------------------------------------------------------------------


def merge_same_labels(
    labels: list[Labels], values: F64, present: BOOL, drop_name: BOOL
) -> InstantVector:
    """One series per label set: rows with equal labels are merged when they are
    never present at the same step; a clash is upstream's duplicate-labelset
    error. The first row's ``drop_name`` wins, as in upstream's range loop."""
    ids, uniques = group_ids(labels)
    if len(uniques) == len(labels):
        return InstantVector(labels, values, present, drop_name)
    counts = np.zeros((len(uniques), present.shape[1]), dtype=np.int64)
    np.add.at(counts, ids, present.astype(np.int64))
    if (counts > 1).any():
        raise EvalError(DUPLICATE_LABELSET)
    out_vals = np.zeros((len(uniques), values.shape[1]))
    out_pres = np.zeros((len(uniques), values.shape[1]), dtype=bool)
    rows, cols = np.nonzero(present)
    out_vals[ids[rows], cols] = values[rows, cols]
    out_pres[ids[rows], cols] = True
    first = np.full(len(uniques), -1, dtype=np.int64)
    for i in range(len(ids) - 1, -1, -1):
        first[ids[i]] = i
    return InstantVector(uniques, out_vals, out_pres, drop_name[first].copy())


def take_rows(vec: InstantVector, rows: I64) -> InstantVector:
    """The series ``rows`` of ``vec``, in that order."""
    return InstantVector(
        [vec.labels[int(i)] for i in rows],
        vec.values[rows],
        vec.present[rows],
        vec.drop_name[rows],
    )


def drop_absent(vec: InstantVector) -> InstantVector:
    """Remove series that are present at no step."""
    keep = vec.present.any(axis=1)
    if keep.all():
        return vec
    return take_rows(vec, np.flatnonzero(keep))
