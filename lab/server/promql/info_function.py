"""``info(v, [data-label-selector])``: enrich series with the data labels of info
metrics (``target_info`` by default) that share their identifying labels
(``instance``, ``job``).

Contract with the evaluator (upstream does the same internally):

* ``args[0]`` is the evaluated base vector;
* ``args[1]`` holds the info series selected by ``info_selector(call)``,
  evaluated at the *same reference times* as the base series (``@``/``offset``
  of the base argument applied), with each sample's **original timestamp as
  its value**, so that the newest info sample wins when two info series of one
  metric match at a step (equal timestamps are a conflict, as upstream).
  A missing ``args[1]`` means "no info series".
"""

from __future__ import annotations

import numpy as np

from lab.model.labels import METRIC_NAME, Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.promql.context import EvalContext
from lab.server.promql.errors import EvalError
from lab.server.promql.function_args import FunctionImpl, vector_arg
from lab.server.promql.opsupport import go_labels_str, merge_same_labels
from lab.server.promql.parser.ast import Call, Expr, ParenExpr, VectorSelector
from lab.server.promql.values import InstantVector, Value

TARGET_INFO = "target_info"
IDENTIFYING_LABELS = ("instance", "job")


def _selector_arg(call: Call) -> VectorSelector | None:
    if len(call.args) < 2:
        return None
    expr: Expr = call.args[1]
    while isinstance(expr, ParenExpr):
        expr = expr.expr
    if not isinstance(expr, VectorSelector):
        raise EvalError("info(): the second argument must be a label selector")
    return expr


def info_selector(call: Call) -> VectorSelector:
    """The selector the evaluator must evaluate to feed ``args[1]``: the data-label
    selector with the effective metric-name matchers (see ``_name_matchers``)."""
    sel = _selector_arg(call)
    others = tuple(m for m in sel.matchers if m.name != METRIC_NAME) if sel is not None else ()
    pos = sel.pos if sel is not None else call.pos
    return VectorSelector(None, (*_name_matchers(call), *others), pos=pos)


def _name_matchers(call: Call) -> list[Matcher]:
    """``__name__`` matchers choosing the info metrics: ``target_info`` when none is
    given; with only negative ones, info metrics are those named ``*_info``."""
    sel = _selector_arg(call)
    names = [m for m in sel.matchers if m.name == METRIC_NAME] if sel is not None else []
    if not names:
        return [Matcher(MatchType.EQUAL, METRIC_NAME, TARGET_INFO)]
    if not any(m.type in (MatchType.EQUAL, MatchType.REGEX) for m in names):
        names.append(Matcher(MatchType.REGEX, METRIC_NAME, ".+_info"))
    return names


def _data_matchers(call: Call) -> dict[str, list[Matcher]]:
    sel = _selector_arg(call)
    out: dict[str, list[Matcher]] = {}
    for m in sel.matchers if sel is not None else ():
        if m.name != METRIC_NAME:
            out.setdefault(m.name, []).append(m)
    return out


def _signature(name: str, labels: Labels) -> Labels:
    return Labels.from_pairs([(METRIC_NAME, name), *labels.only(*IDENTIFYING_LABELS)])


def _info(ctx: EvalContext, call: Call, args: list[Value]) -> Value:
    base = vector_arg(args, 0)
    steps = base.values.shape[1] if base.num_series else ctx.num_steps
    infos = vector_arg(args, 1) if len(args) > 1 else InstantVector.empty(steps)
    name_matchers = _name_matchers(call)
    data_matchers = _data_matchers(call)
    all_match_empty = all(m.matches("") for ms in data_matchers.values() for m in ms)

    # Info series grouped by (metric name, identifying labels).
    by_sig: dict[Labels, list[int]] = {}
    for j, lbl in enumerate(infos.labels):
        by_sig.setdefault(_signature(lbl.name, lbl), []).append(j)
    info_names = sorted({lbl.name for lbl in infos.labels})
    newest = np.where(infos.present, infos.values, -np.inf)

    out_labels: list[Labels] = []
    rows: list[int] = []
    masks: list[np.ndarray] = []
    for i, lbl in enumerate(base.labels):
        present = base.present[i]
        if all(m.matches(lbl.name) for m in name_matchers):
            # Info series themselves are passed through unenriched.
            out_labels.append(lbl)
            rows.append(i)
            masks.append(present)
            continue
        chosen = [
            _choose(by_sig.get(_signature(n, lbl), []), newest, infos, present) for n in info_names
        ]
        codes = np.zeros(steps, dtype=np.int64)
        for choice in chosen:
            codes = codes * (infos.num_series + 1) + (choice + 1)
        for code in np.unique(codes[present]).tolist():
            mask = present & (codes == code)
            picks = _decode(code, len(info_names), infos.num_series + 1)
            found = [infos.labels[j] for j in picks if j >= 0]
            extra = _data_labels(lbl, found, data_matchers)
            # Without a matching info series, a data matcher that needs a value drops the series.
            if not found and not all_match_empty:
                continue
            out_labels.append(Labels.from_pairs([*lbl, *extra.items()]))
            rows.append(i)
            masks.append(mask)
    if not out_labels:
        return InstantVector.empty(steps)
    idx = np.asarray(rows, dtype=np.int64)
    present = np.vstack(masks)
    return merge_same_labels(
        out_labels, np.where(present, base.values[idx], 0.0), present, base.drop_name[idx].copy()
    )


def _choose(
    cands: list[int], newest: np.ndarray, infos: InstantVector, present: np.ndarray
) -> np.ndarray:
    """Per step, the candidate info series with the newest sample (or -1)."""
    steps = present.shape[0]
    if not cands:
        return np.full(steps, -1, dtype=np.int64)
    ts = newest[cands]
    best = np.argmax(ts, axis=0)
    top = ts[best, np.arange(steps)]
    found = np.isfinite(top)
    ties = ((ts == top[None, :]) & found[None, :]).sum(axis=0) > 1
    if (ties & present).any():
        t = int(np.flatnonzero(ties & present)[0])
        clash = [cands[k] for k in np.flatnonzero(ts[:, t] == top[t])[:2]]
        first, second = (go_labels_str(infos.labels[c]) for c in clash)
        raise EvalError(
            f"found duplicate series for info metric: existing {first} @ {int(top[t])}, "
            f"new {second} @ {int(top[t])}"
        )
    return np.where(found, np.asarray(cands, dtype=np.int64)[best], -1)


def _decode(code: int, n: int, radix: int) -> list[int]:
    out = []
    for _ in range(n):
        code, digit = divmod(code, radix)
        out.append(digit - 1)
    return out[::-1]


def _data_labels(
    base: Labels, infos: list[Labels], data_matchers: dict[str, list[Matcher]]
) -> dict[str, str]:
    """Data labels the chosen info series contribute (upstream's combineWithInfoVector)."""
    have = dict(base)
    extra: dict[str, str] = {}
    for info in infos:
        for name, value in info:
            if name == METRIC_NAME:
                continue
            if data_matchers and name not in data_matchers:
                continue
            if extra.get(name, value) != value:
                raise EvalError(f"conflicting label: {name}")
            if name in have:
                continue
            extra[name] = value
    return extra


INFO_FUNCTIONS: dict[str, FunctionImpl] = {"info": _info}
