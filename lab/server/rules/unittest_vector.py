"""Vectorised rule evaluation for unit tests.

Instead of one instant query per rule per evaluation step, each rule runs as
ONE range query over all the test's evaluation steps, in evaluation order, and
its output (recorded series, or ``ALERTS``/``ALERTS_FOR_STATE``) is appended
to the test storage before the next rule runs. Alert state (``for``,
``keep_firing_for``) is computed from the presence matrix: runs of consecutive
steps are found with numpy and only the runs are walked in Python.

This reproduces the per-step semantics exactly when every rule only reads
input series and the output of rules evaluated *before* it (a range query at
step t of an earlier rule's output sees exactly what the step-by-step loop
would have written by then). ``plan`` refuses (returns the reason) when a rule
reads its own or a later rule's output (including ``ALERTS``), uses ``@`` or a
negative offset (which see samples the step-by-step loop has not loaded yet),
or templates alert labels from ``$value``/``query``; any evaluation problem
(query error, duplicate labelsets, ``limit``) raises ``Unsound`` too, and the
caller falls back to the step-by-step path, which also produces the exact
upstream error at the exact step.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lab.model.labels import Labels
from lab.model.value import STALE_NAN
from lab.server.promql.context import Annotations
from lab.server.promql.errors import PromQLError
from lab.server.promql.evaluator import Evaluator, QueryBounds, finalize_names
from lab.server.promql.parser.ast import Expr, NumberLiteral, SubqueryExpr, VectorSelector
from lab.server.promql.values import InstantVector, Scalar
from lab.server.rules.alerting import (
    ALERTS_FOR_STATE_METRIC,
    ALERTS_METRIC,
    AlertingRule,
    AlertState,
    alert_series_labels,
    for_state_labels,
)
from lab.server.rules.errors import RulesError
from lab.server.rules.group import Group, Rule
from lab.server.rules.recording import RecordingRule, relabel_recorded
from lab.server.rules.rule import QueryFunc
from lab.server.rules.templates import uses_value
from lab.server.storage.memory import MemoryStorage

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
BOOL = npt.NDArray[np.bool_]


class Unsound(RulesError):
    """The vectorised path cannot reproduce step-by-step semantics here."""


def walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    for f in dataclasses.fields(expr):  # type: ignore[arg-type]
        v = getattr(expr, f.name)
        if isinstance(v, Expr):
            yield from walk(v)
        elif isinstance(v, tuple):
            for x in v:
                if isinstance(x, Expr):
                    yield from walk(x)


def _time_travel(e: Expr) -> bool:
    if isinstance(e, (VectorSelector, SubqueryExpr)):
        if e.at is not None:
            return True
        off = e.offset
        return off is not None and not (isinstance(off, NumberLiteral) and off.value >= 0)
    return False


def _produces(rule: Rule) -> list[tuple[str, str | None]]:
    """(metric name, alertname) of what a rule writes."""
    if isinstance(rule, RecordingRule):
        return [(rule.name, None)]
    return [(ALERTS_METRIC, rule.name), (ALERTS_FOR_STATE_METRIC, rule.name)]


def _may_read(node: VectorSelector, name: str, alertname: str | None) -> bool:
    for m in node.matchers:
        if m.name == "__name__" and not m.matches(name):
            return False
        if alertname is not None and m.name == "alertname" and not m.matches(alertname):
            return False
    return True


def plan(groups: Sequence[Group]) -> str | None:
    """None if the vectorised path is sound for these groups, else why not."""
    flat = [r for g in groups for r in g.rules]
    for i, rule in enumerate(flat):
        later = [(r, n) for r in flat[i:] for n in _produces(r)]
        for node in walk(rule.expr):
            if _time_travel(node):
                return f"rule {rule.name!r} uses @ or a negative offset"
            if isinstance(node, VectorSelector):
                for producer, (name, alertname) in later:
                    if _may_read(node, name, alertname):
                        who = "itself" if producer is rule else f"later rule {producer.name!r}"
                        return f"rule {rule.name!r} reads {name} written by {who}"
        if isinstance(rule, AlertingRule):
            if any(uses_value(v) for v in rule.labels.values()):
                return f"alert {rule.name!r} templates labels from $value or query"
            if any("query" in v for v in rule.annotations.values()):
                return f"alert {rule.name!r} runs queries in annotations"
    return None


@dataclass
class VecAlerts:
    """One alerting rule's alerts over all steps."""

    rule: AlertingRule
    labels: list[Labels]  # per identity
    state: npt.NDArray[np.int8]  # (A, T): 0 none, 1 pending, 2 firing
    present: BOOL  # (A, T): the expression returned the identity
    row: I64  # (A, T): result row that produced it (for annotations), -1 if none
    rows_labels: list[Labels]
    rows_values: F64
    times: I64

    def firing_at(self, k: int, query: QueryFunc) -> list[tuple[Labels, Labels]]:
        out = []
        for a in np.flatnonzero(self.state[:, k] == 2):
            seen = np.flatnonzero(self.present[a, : k + 1])
            j = int(seen[-1])
            r = int(self.row[a, j])
            ann = self.rule.alert_annotations(
                self.rows_labels[r], float(self.rows_values[r, j]), int(self.times[j]), query
            )
            out.append((self.labels[a], ann))
        return out


class VectorRunner:
    def __init__(
        self,
        storage: MemoryStorage,
        times: I64,
        *,
        lookback_ms: int = 300_000,
        default_subquery_step_ms: int = 60_000,
        timeout_s: float = 600.0,
    ) -> None:
        self.storage = storage
        self.times = times
        self.lookback_ms = lookback_ms
        self.substep = default_subquery_step_ms
        self.deadline = time.monotonic() + timeout_s
        self.alerts: dict[int, VecAlerts] = {}

    def range_eval(self, expr: Expr, offset_ms: int) -> tuple[list[Labels], F64, BOOL]:
        t = self.times
        step = int(t[1] - t[0]) if t.size > 1 else 1
        ev = Evaluator(
            self.storage,
            QueryBounds(int(t[0]) - offset_ms, int(t[-1]) - offset_ms, step),
            lookback_ms=self.lookback_ms,
            max_samples=1 << 62,
            deadline=self.deadline,
            annotations=Annotations(),
            default_subquery_step_ms=self.substep,
        )
        try:
            val, _ = ev.evaluate(expr)
            if isinstance(val, Scalar):
                return [Labels()], val.values[None, :], np.ones((1, t.size), dtype=bool)
            if not isinstance(val, InstantVector):
                raise Unsound("rule result is not a vector or scalar")
            vec = finalize_names(val)
        except PromQLError as exc:
            raise Unsound(f"query error: {exc}") from None
        keep = vec.present.any(axis=1)
        rows = np.flatnonzero(keep)
        return [vec.labels[i] for i in rows], vec.values[rows], vec.present[rows]

    def run(self, groups: Sequence[Group]) -> None:
        for g in groups:
            for rule in g.rules:
                if isinstance(rule, RecordingRule):
                    self._record(rule, g)
                else:
                    self._alert(rule, g)

    def _append(self, labels: Labels, mask: BOOL, values: F64, offset_ms: int) -> None:
        prev = np.zeros_like(mask)
        prev[1:] = mask[:-1]
        stale = prev & ~mask
        idx = mask | stale
        if not idx.any():
            return
        vs = np.where(mask, values, STALE_NAN)[idx]
        self.storage.add_series(labels, self.times[idx] - offset_ms, vs)

    def _merge_rows(
        self, keys: list[Labels], values: F64, present: BOOL, what: str
    ) -> tuple[list[Labels], F64, BOOL, I64]:
        """Rows with equal keys become one; overlapping presence is upstream's
        duplicate-labelset error (which the step-by-step path reports)."""
        index: dict[Labels, list[int]] = {}
        for i, k in enumerate(keys):
            index.setdefault(k, []).append(i)
        if len(index) == len(keys):
            rows = np.where(present, np.arange(len(keys))[:, None], -1)
            return keys, values, present, rows
        out_keys = list(index)
        vals = np.zeros((len(out_keys), present.shape[1]))
        pres = np.zeros((len(out_keys), present.shape[1]), dtype=bool)
        rows = np.full((len(out_keys), present.shape[1]), -1, dtype=np.int64)
        for o, k in enumerate(out_keys):
            members = index[k]
            if len(members) > 1 and (present[members].sum(axis=0) > 1).any():
                raise Unsound(f"{what}: vector contains metrics with the same labelset")
            for m in members:
                vals[o] = np.where(present[m], values[m], vals[o])
                rows[o] = np.where(present[m], m, rows[o])
                pres[o] |= present[m]
        return out_keys, vals, pres, rows

    def _record(self, rule: RecordingRule, g: Group) -> None:
        labels, values, present = self.range_eval(rule.expr, g.query_offset_ms)
        keys = [relabel_recorded(lab, rule.name, rule.labels) for lab in labels]
        keys, values, present, _ = self._merge_rows(keys, values, present, rule.name)
        if g.limit > 0 and (present.sum(axis=0) > g.limit).any():
            raise Unsound(f"{rule.name}: limit exceeded")
        for i, k in enumerate(keys):
            self._append(k, present[i], values[i], g.query_offset_ms)

    def _alert(self, rule: AlertingRule, g: Group) -> None:
        labels, values, present = self.range_eval(rule.expr, g.query_offset_ms)
        keys = []
        for i, lab in enumerate(labels):
            first = int(np.argmax(present[i]))
            keys.append(
                rule.alert_labels(lab, float(values[i, first]), int(self.times[first]), None)
            )
        ids, _, pres, rows = self._merge_rows(keys, values, present, rule.name)
        state = np.zeros(pres.shape, dtype=np.int8)
        active = np.zeros(pres.shape, dtype=np.int64)
        for a in range(len(ids)):
            _state_machine(
                pres[a], self.times, rule.hold_ms, rule.keep_firing_for_ms, state[a], active[a]
            )
        if g.limit > 0 and ((state > 0).sum(axis=0) > g.limit).any():
            raise Unsound(f"{rule.name}: limit exceeded")
        off = g.query_offset_ms
        ones = np.ones(self.times.size)
        for a, lab in enumerate(ids):
            self._append(alert_series_labels(lab, AlertState.PENDING), state[a] == 1, ones, off)
            self._append(alert_series_labels(lab, AlertState.FIRING), state[a] == 2, ones, off)
            self._append(
                for_state_labels(lab), state[a] > 0, (active[a] // 1000).astype(np.float64), off
            )
        self.alerts[id(rule)] = VecAlerts(rule, ids, state, pres, rows, labels, values, self.times)


def _runs(p: BOOL) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate(([0], p.astype(np.int8), [0])))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _state_machine(
    p: BOOL, t: I64, hold_ms: int, keep_ms: int, state: npt.NDArray[np.int8], active: I64
) -> None:
    """Fill ``state``/``active`` for one alert identity from its presence."""
    n = t.size
    active_at: int | None = None
    firing = False
    runs = _runs(p)
    for r, (s, e) in enumerate(runs):
        if active_at is None:
            active_at, firing = int(t[s]), False
        if firing:
            state[s:e] = 2
        else:
            f = max(s, min(e, int(np.searchsorted(t, active_at + hold_ms, side="left"))))
            state[s:f] = 1
            state[f:e] = 2
            firing = f < e
        active[s:e] = active_at
        gap_end = runs[r + 1][0] if r + 1 < len(runs) else n
        if firing and keep_ms > 0 and e < n:
            since = int(t[e])
            kept_end = int(np.searchsorted(t, since + keep_ms, side="left"))
            kept_end = min(kept_end, gap_end)
            state[e:kept_end] = 2
            active[e:kept_end] = active_at
            if kept_end >= gap_end and gap_end < n:
                continue  # presence resumed while still kept firing: same alert
        active_at = None
        firing = False
