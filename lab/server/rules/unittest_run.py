"""promtool's ``test rules``: run the test groups of one unit-test file.

    result = run_test_file("tests.yml", options)
    result.errors      # promtool-formatted failure texts, each with its location
    result.coverage    # rules no test exercises

Semantics are Prometheus 3.x promtool's (see the spec): inputs at ``start +
i*interval``, rules evaluated every ``evaluation_interval`` from ``start`` to
the largest ``eval_time``, alerts compared at the evaluation step at or before
their ``eval_time`` (firing only, exact label/annotation sets), PromQL cases
run afterwards as instant queries. Unlike promtool, a rule evaluation error
does not hide later assertions: every failing assertion is reported.

Rules run vectorised (``unittest_vector``) when that is sound, else step by
step; ``GroupResult.path`` says which and why.
"""

from __future__ import annotations

import glob
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from lab.model.durations import format_go_duration_ns
from lab.model.durations import format_model_duration_ms as model_duration
from lab.model.gofloat import format_e
from lab.model.labels import Labels, quote
from lab.server.promql.engine import Engine, ScalarResult, VectorResult
from lab.server.promql.errors import ParseError, PromQLError
from lab.server.promql.parser.ast import VectorSelector
from lab.server.promql.parser.parser import parse, parse_series_selector
from lab.server.promql.promqltest.notation import (
    NotationError,
    parse_series_descriptor,
    parse_value_columns,
)
from lab.server.rules.alerting import AlertingRule
from lab.server.rules.errors import RuleFileError, UnitTestFileError
from lab.server.rules.group import Group
from lab.server.rules.recording import RecordingRule
from lab.server.rules.rule import engine_query_func
from lab.server.rules.rulefile import load_rule_file
from lab.server.rules.unittest_file import (
    AlertTest,
    TestFile,
    TestGroup,
    load_test_file,
)
from lab.server.rules.unittest_hist import (
    Histogram,
    HistogramStore,
    expand_histograms,
    parse_histogram,
)
from lab.server.rules.unittest_vector import Unsound, VectorRunner, plan, walk
from lab.server.storage.interface import Querier, Queryable
from lab.server.storage.memory import MemoryStorage


@dataclass
class Options:
    run: list[str] = field(default_factory=list)
    debug: bool = False
    ignore_unknown_fields: bool = False
    vectorise: bool = True


@dataclass
class Failure:
    text: str
    line: int = 0


@dataclass
class GroupResult:
    name: str
    failures: list[Failure] = field(default_factory=list)
    path: str = ""
    seconds: float = 0.0


@dataclass
class FileResult:
    path: str
    groups: list[GroupResult] = field(default_factory=list)
    abort: str | None = None
    untested: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.abort is None and not any(g.failures for g in self.groups)


class _Clamped:
    """Samples after ``limit_ms`` are invisible: promtool loads input lazily."""

    def __init__(self, inner: Queryable, limit_ms: int) -> None:
        self.inner, self.limit_ms = inner, limit_ms

    def querier(self, mint_ms: int, maxt_ms: int) -> Querier:
        return self.inner.querier(mint_ms, min(maxt_ms, self.limit_ms))


def _debug(opts: Options, msg: str) -> None:
    if opts.debug:
        print(f"DEBUG: {msg}", file=sys.stderr)


def resolve_rule_files(test_path: str, patterns: list[str]) -> tuple[list[str], list[str]]:
    base = os.path.dirname(test_path) or "."
    files: list[str] = []
    warnings: list[str] = []
    for p in patterns:
        full = p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))
        hits = sorted(glob.glob(full))
        if not hits:
            warnings.append(f"  WARNING: no file match pattern {full}")
        files.extend(hits)
    return files, warnings


def run_test_file(path: str, opts: Options) -> FileResult:
    result = FileResult(path)
    try:
        tf = load_test_file(path, ignore_unknown_fields=opts.ignore_unknown_fields)
    except UnitTestFileError as exc:
        result.abort = str(exc)
        return result
    rule_files, warnings = resolve_rule_files(path, tf.rule_files)
    for w in warnings:
        print(w, file=sys.stderr)
    seen: set[str] = set()
    for name in tf.group_eval_order:
        if name in seen:
            result.abort = f"group name repeated in evaluation order: {name}"
            return result
        seen.add(name)
    run_re = re.compile("|".join(opts.run)) if opts.run else None
    exercised: set[int] = set()
    all_rules: list[tuple[str, str, str, int]] = []
    for i, tg in enumerate(tf.tests):
        if run_re is not None and not run_re.search(tg.name):
            continue
        name = tg.name or f"unnamed#{i}"
        _debug(opts, f"Starting test {name}")
        started = time.monotonic()
        gr = GroupResult(name)
        _run_group(tf, tg, rule_files, opts, gr, exercised, all_rules)
        gr.seconds = time.monotonic() - started
        _debug(opts, f"Test {name} finished, took {gr.seconds:.3f}s ({gr.path})")
        result.groups.append(gr)
    seen_rules: set[tuple[str, str]] = set()
    for kind, rname, file, line in all_rules:
        key = (kind, rname)
        if key in seen_rules:
            continue
        seen_rules.add(key)
        if hash(key) not in exercised:
            result.untested.append(f"{kind} {rname} ({file}:{line})")
    return result


def _load_groups(tf: TestFile, tg: TestGroup, files: list[str], opts: Options) -> list[Group]:
    groups: list[Group] = []
    problems: list[str] = []
    for f in files:
        try:
            rf = load_rule_file(f, ignore_unknown_fields=opts.ignore_unknown_fields)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        for spec in rf.groups:
            groups.append(
                Group.from_spec(
                    spec,
                    default_interval_ms=tg.interval_ms,
                    external_labels=tg.external_labels,
                    external_url=tg.external_url,
                )
            )
    if problems:
        raise RuleFileError(problems)
    order = {n: i for i, n in enumerate(tf.group_eval_order)}
    groups.sort(key=lambda g: order.get(g.name, 0))
    return groups


def _load_input(tg: TestGroup, storage: MemoryStorage, hists: HistogramStore, maxt: int) -> None:
    for s in tg.input_series:
        try:
            labels, rest = parse_series_descriptor(s.series)
            if rest.strip():
                raise NotationError(f"unexpected {rest.strip()!r} after the series")
        except NotationError as exc:
            try:  # the PromQL parser words the problem as promtool does
                parse_series_selector(s.series)
            except ParseError as perr:
                raise UnitTestFileError(str(perr)) from None
            raise UnitTestFileError(str(exc)) from None
        try:
            if "{{" in s.values:
                for i, h in enumerate(expand_histograms(s.values)):
                    t = tg.start_ms + i * tg.interval_ms
                    if h is not None and t <= maxt:
                        hists.add(labels, t, h)
            cols = parse_value_columns(s.values)
            all_vs, present = cols.values, cols.present
        except (NotationError, ValueError) as exc:
            raise UnitTestFileError(f"{s.series}: {exc}") from None
        idx = np.flatnonzero(present)
        ts = tg.start_ms + idx * tg.interval_ms
        vs = all_vs[idx]
        keep = ts <= maxt
        storage.add_series(labels, ts[keep], vs[keep])


def _run_group(
    tf: TestFile,
    tg: TestGroup,
    rule_files: list[str],
    opts: Options,
    gr: GroupResult,
    exercised: set[int],
    all_rules: list[tuple[str, str, str, int]],
) -> None:
    try:
        groups = _load_groups(tf, tg, rule_files, opts)
    except RuleFileError as exc:
        gr.failures.extend(Failure(p, tg.line) for p in exc.problems)
        return
    for g in groups:
        for spec in g.specs:
            all_rules.append((spec.kind, spec.name, g.file, spec.pos.line))
    for at in tg.alert_tests:
        if not at.alertname:
            where = f" (in TestGroup {tg.name})" if tg.name else ""
            gr.failures.append(Failure(
                "an item under alert_rule_test misses required attribute alertname at "
                f"eval_time {model_duration(at.eval_time_ms)}{where}", at.line))  # fmt: skip
            return
    _mark_exercised(groups, tg, exercised)
    mint = tg.start_ms
    maxt = mint + tg.max_eval_time_ms()
    ev_ms = tf.evaluation_interval_ms
    times = np.arange(mint, maxt + 1, ev_ms, dtype=np.int64)
    engine = Engine(default_subquery_step_ms=ev_ms)
    hists = HistogramStore()
    check_steps: dict[int, list[AlertTest]] = {}
    for at in tg.alert_tests:
        check_steps.setdefault(at.eval_time_ms // ev_ms, []).append(at)

    def fresh_storage() -> MemoryStorage:
        st = MemoryStorage()
        _load_input(tg, st, hists, maxt)
        return st

    try:
        storage = fresh_storage()
    except UnitTestFileError as exc:
        gr.failures.append(Failure(str(exc), tg.line))
        return
    firing: dict[int, dict[str, list[tuple[Labels, Labels]]]] = {}
    reason = plan(groups) if opts.vectorise and groups else "no rules" if not groups else "disabled"
    if reason is None:
        try:
            runner = VectorRunner(storage, times, default_subquery_step_ms=ev_ms)
            runner.run(groups)
            query = engine_query_func(engine, storage)
            for k, tests in check_steps.items():
                names = {t.alertname for t in tests}
                firing[k] = {}
                for g in groups:
                    for r in g.alerting_rules():
                        if r.name in names:
                            got = runner.alerts[id(r)].firing_at(k, query)
                            firing[k].setdefault(r.name, []).extend(got)
            gr.path = "vectorised"
        except Unsound as exc:
            reason = str(exc)
            storage = fresh_storage()
            groups = _load_groups(tf, tg, rule_files, opts)
            firing = {}
    if reason is not None:
        gr.path = f"step-by-step ({reason})"
        _stepwise(groups, storage, times, engine, check_steps, firing, gr)
    _check_alerts(tg, check_steps, firing, gr)
    _check_promql(tf, tg, engine, storage, hists, gr)
    if opts.debug:
        _dump(storage, maxt)


def _dump(storage: MemoryStorage, maxt: int) -> None:
    at = format_go_duration_ns(maxt * 1_000_000)
    print(f"DEBUG: Dump of all data (input series and rules) at {at}:", file=sys.stderr)
    for series in storage.querier(-(1 << 62), maxt).select([]):
        print(f"DEBUG:   {series.labels} {series.values[-1]!r} @ {int(series.timestamps[-1])}",
              file=sys.stderr)  # fmt: skip


def _mark_exercised(groups: list[Group], tg: TestGroup, exercised: set[int]) -> None:
    names = {at.alertname for at in tg.alert_tests}
    read: set[str] = set()
    for pt in tg.promql_tests:
        try:
            read |= {n.name or "" for n in walk(parse(pt.expr)) if isinstance(n, VectorSelector)}
        except ParseError:
            continue
    rules = [r for g in groups for r in g.rules]
    for r in rules:
        if isinstance(r, AlertingRule) and (r.name in names or "ALERTS" in read):
            read |= {n.name or "" for n in walk(r.expr) if isinstance(n, VectorSelector)}
    changed = True
    while changed:
        changed = False
        for r in rules:
            if (
                isinstance(r, RecordingRule)
                and r.name in read
                and hash(("record", r.name)) not in exercised
            ):
                exercised.add(hash(("record", r.name)))
                read |= {n.name or "" for n in walk(r.expr) if isinstance(n, VectorSelector)}
                changed = True
    for r in rules:
        if isinstance(r, AlertingRule) and r.name in names:
            exercised.add(hash(("alert", r.name)))


def _stepwise(
    groups: list[Group],
    storage: MemoryStorage,
    times: np.ndarray,
    engine: Engine,
    check_steps: dict[int, list[AlertTest]],
    firing: dict[int, dict[str, list[tuple[Labels, Labels]]]],
    gr: GroupResult,
) -> None:
    for g in groups:
        for r in g.alerting_rules():
            r.restored = True
    failed_rules: set[int] = set()
    for k, ts in enumerate(times.tolist()):
        query = engine_query_func(engine, _Clamped(storage, ts))
        for g in groups:
            for err in g.eval(ts, query, storage):
                if id(err.rule) not in failed_rules:
                    failed_rules.add(id(err.rule))
                    when = format_go_duration_ns(ts * 1_000_000)
                    text = f"    rule: {err.rule.name}, time: {when}, err: {err.message}"
                    gr.failures.append(Failure(text))
        if k in check_steps:
            names = {t.alertname for t in check_steps[k]}
            firing[k] = {}
            for g in groups:
                for r in g.alerting_rules():
                    if r.name in names:
                        got = [(a.labels, a.annotations) for a in r.firing()]
                        firing[k].setdefault(r.name, []).extend(got)


def _labels_str(labels: Labels) -> str:
    """Prometheus's ``labels.Labels.String()``: every label quoted, ``, ``-joined."""
    return "{" + ", ".join(f"{n}={quote(v)}" for n, v in labels) + "}"


def _la_string(la: list[tuple[Labels, Labels]]) -> str:
    if not la:
        return "[]"
    parts = []
    for i, (lab, ann) in enumerate(la):
        body = "\nLabels:" + _labels_str(lab) + "\nAnnotations:" + _labels_str(ann)
        parts.append(f"{i}:" + _indent(body, "  "))
    return "[\n" + ",\n".join(parts) + "\n]"


def _indent(text: str, indent: str) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:1] + [indent + ln for ln in lines[1:]])


def _check_alerts(
    tg: TestGroup,
    check_steps: dict[int, list[AlertTest]],
    firing: dict[int, dict[str, list[tuple[Labels, Labels]]]],
    gr: GroupResult,
) -> None:
    for k in sorted(check_steps):
        for at in check_steps[k]:
            got = sorted(firing.get(k, {}).get(at.alertname, []))
            exp = sorted(
                (Labels.from_pairs({**e.labels, "alertname": at.alertname}.items()),
                 Labels.from_pairs(e.annotations.items()))
                for e in at.exp_alerts
            )  # fmt: skip
            if got == exp:
                continue
            name = f"    name: {tg.name},\n" if tg.name else ""
            gr.failures.append(Failure(
                f"{name}    alertname: {at.alertname}, time: {model_duration(at.eval_time_ms)}, \n"
                f"        exp:{_indent(_la_string(exp), '            ')}, \n"
                f"        got:{_indent(_la_string(got), '            ')}", at.line))  # fmt: skip


def _float_eq(a: float, b: float, fuzzy: bool) -> bool:
    if a == b:
        return True
    return fuzzy and (math.nextafter(a, math.inf) == b or math.nextafter(a, -math.inf) == b)


def _check_promql(
    tf: TestFile, tg: TestGroup, engine: Engine, storage: MemoryStorage, hists: HistogramStore,
    gr: GroupResult,
) -> None:  # fmt: skip
    for pt in tg.promql_tests:
        head = f"    expr: {_go_q(pt.expr)}, time: {model_duration(pt.eval_time_ms)}"
        t = tg.start_ms + pt.eval_time_ms
        try:
            expr = parse(pt.expr)
            value = engine.instant_query_expr(storage, expr, t).value
        except PromQLError as exc:
            gr.failures.append(Failure(f"{head}, err: {exc}", pt.line))
            continue
        got: list[tuple[Labels, float, str]] = []
        if isinstance(value, VectorResult):
            got = [(s.labels, s.value, "") for s in value.samples]
        elif isinstance(value, ScalarResult):
            got = [(Labels(), value.value, "")]
        else:
            gr.failures.append(
                Failure(f"{head}, err: rule result is not a vector or scalar", pt.line)
            )
            continue
        if isinstance(expr, VectorSelector) and expr.at is None and expr.offset is None:
            got += [(lab, 0.0, str(h)) for lab, h in hists.select(expr.matchers, t)]
        exp: list[tuple[Labels, float, str]] = []
        bad = None
        for es in pt.exp_samples:
            try:
                lab = parse_series_descriptor(es.labels)[0] if es.labels.strip() else Labels()
                hist = str(_canon_hist(es.histogram)) if es.histogram else ""
            except (NotationError, ValueError) as exc:
                bad = f'{head}, err: labels "{es.labels}": {exc}'
                break
            exp.append((lab, es.value if not hist else 0.0, hist))
        if bad is not None:
            gr.failures.append(Failure(bad, pt.line))
            continue
        exp.sort(key=lambda s: s[0])
        got.sort(key=lambda s: s[0])
        same = len(exp) == len(got) and all(
            a[0] == b[0]
            and a[2] == b[2]
            and (a[2] != "" or _float_eq(a[1], b[1], tf.fuzzy_compare))
            for a, b in zip(exp, got, strict=True)
        )
        if not same:
            text = f"{head},\n        exp: {_samples_str(exp)}\n        got: {_samples_str(got)}"
            gr.failures.append(Failure(text, pt.line))


def _canon_hist(text: str) -> Histogram:
    return parse_histogram(text)


def _samples_str(samples: list[tuple[Labels, float, str]]) -> str:
    if not samples:
        return "nil"
    return ", ".join(
        _labels_str(lab) + " " + (h if h else format_e(v, upper=True)) for lab, v, h in samples
    )


def _go_q(s: str) -> str:
    from lab.model.gostr import go_quote

    return go_quote(s)
