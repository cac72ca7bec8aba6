"""Run promqltest scripts against the engine, with upstream's checking rules.

* Every instant eval runs as written, then again with ``@ <t>`` added to each
  selector and subquery lacking one, at the times -10t, 0, t/5, t, 10t (or
  -1s, 0, 1s when t = 0), unless the query uses a time-dependent function;
  and each of those is cross-checked as a range query from t-1m to t+1m
  (step 1m), whose point at t must equal the expectation.
* Floats compare with upstream's ``almost.Equal(a, b, 1e-6)``.
* Annotations are only checked when the eval states an expectation.
* Native histograms are not modelled: an eval that expects one, or selects a
  series that holds histogram samples, is reported ``unsupported``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lab.model.labels import Labels
from lab.model.value import is_stale
from lab.server.promql.engine import (
    Engine,
    MatrixResult,
    QueryResult,
    ResultValue,
    Sample,
    ScalarResult,
    StringResult,
    VectorResult,
)
from lab.server.promql.errors import PromQLError
from lab.server.promql.evaluator import AT_UNSAFE_FUNCTIONS
from lab.server.promql.parser.ast import (
    AggregateExpr,
    AtKind,
    AtModifier,
    BinaryExpr,
    Call,
    Expr,
    MatrixSelector,
    ParenExpr,
    SubqueryExpr,
    UnaryExpr,
    VectorSelector,
)
from lab.server.promql.promqltest.script import (
    ClearCmd,
    Command,
    EvalCmd,
    LoadCmd,
    ScriptError,
    parse_script,
)
from lab.server.storage.memory import MemoryStorage

PASS = "pass"
FAIL = "fail"
UNSUPPORTED = "unsupported"

_MIN_NORMAL = 2.2250738585072014e-308
_EPSILON = 1e-6
_RANGE_CHECK_SKIP = re.compile(r"\b(start|end|range|step)\s*\(")


@dataclass(slots=True)
class EvalOutcome:
    file: str
    line: int
    expr: str
    status: str
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


class CheckFailed(Exception):
    """The eval's expectation was not met."""


def almost_equal(a: float, b: float) -> bool:
    """upstream util/almost.Equal with epsilon 1e-6."""
    if is_stale(a) or is_stale(b):
        return is_stale(a) and is_stale(b)
    if math.isnan(a) and math.isnan(b):
        return True
    if a == b:
        return True
    abs_sum = abs(a) + abs(b)
    diff = abs(a - b)
    if a == 0 or b == 0 or abs_sum < _MIN_NORMAL:
        return diff < _EPSILON * _MIN_NORMAL
    return diff / min(abs_sum, sys.float_info.max) < _EPSILON


# -- the environment ---------------------------------------------------------------------


class _Env:
    def __init__(self, engine: Engine) -> None:
        self.storage = MemoryStorage()
        self.engine = engine
        self.histogram_series: list[Labels] = []

    def clear(self) -> None:
        self.storage.clear()
        self.histogram_series = []

    def load(self, cmd: LoadCmd) -> None:
        for labels, (ts, vs) in cmd.series.items():
            self.storage.add_series(labels, ts, vs)
        self.histogram_series.extend(cmd.histogram_series)
        if cmd.with_nhcb:
            for labels in cmd.series:
                base = _nhcb_base(labels)
                if base is not None:
                    self.histogram_series.append(base)

    def selects_histograms(self, expr: Expr) -> bool:
        if not self.histogram_series:
            return False
        for vs in _selectors(expr):
            for labels in self.histogram_series:
                if all(m.matches(labels.get(m.name)) for m in vs.matchers):
                    return True
        return False


def _nhcb_base(labels: Labels) -> Labels | None:
    name = labels.name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            return labels.without("le").set("__name__", name[: -len(suffix)])
    return None


def _children(e: Expr) -> list[Expr]:
    if isinstance(e, ParenExpr | UnaryExpr):
        return [e.expr]
    if isinstance(e, MatrixSelector):
        return [e.vector]
    if isinstance(e, SubqueryExpr):
        return [e.expr]
    if isinstance(e, Call):
        return list(e.args)
    if isinstance(e, AggregateExpr):
        return [e.expr] + ([e.param] if e.param is not None else [])
    if isinstance(e, BinaryExpr):
        return [e.lhs, e.rhs]
    return []


def _selectors(e: Expr) -> Iterable[VectorSelector]:
    if isinstance(e, VectorSelector):
        yield e
    for c in _children(e):
        yield from _selectors(c)


def _calls(e: Expr) -> Iterable[str]:
    if isinstance(e, Call):
        yield e.func
    for c in _children(e):
        yield from _calls(c)


def with_at(e: Expr, t_ms: int) -> Expr:
    """Add ``@ t`` to every selector and subquery that lacks one; the inside of
    a subquery that has (or gets) ``@`` is left alone."""
    at = AtModifier(AtKind.TIME, t_ms / 1000.0)
    if isinstance(e, VectorSelector):
        return e if e.at is not None else dataclasses.replace(e, at=at)
    if isinstance(e, MatrixSelector):
        return dataclasses.replace(e, vector=with_at(e.vector, t_ms))  # type: ignore[arg-type]
    if isinstance(e, SubqueryExpr):
        return e if e.at is not None else dataclasses.replace(e, at=at)
    if isinstance(e, ParenExpr | UnaryExpr):
        return dataclasses.replace(e, expr=with_at(e.expr, t_ms))
    if isinstance(e, Call):
        return dataclasses.replace(e, args=tuple(with_at(a, t_ms) for a in e.args))
    if isinstance(e, AggregateExpr):
        param = with_at(e.param, t_ms) if e.param is not None else None
        return dataclasses.replace(e, expr=with_at(e.expr, t_ms), param=param)
    if isinstance(e, BinaryExpr):
        return dataclasses.replace(e, lhs=with_at(e.lhs, t_ms), rhs=with_at(e.rhs, t_ms))
    return e


# -- running -----------------------------------------------------------------------------


def run_file(path: str | Path, engine: Engine | None = None) -> list[EvalOutcome]:
    path = Path(path)
    name = path.name
    text = path.read_text(encoding="utf-8")
    try:
        cmds = parse_script(text, name)
    except ScriptError as exc:
        return [EvalOutcome(name, exc.line, "", FAIL, f"invalid test file: {exc}")]
    return run_commands(cmds, name, engine)


def run_commands(cmds: list[Command], file: str, engine: Engine | None = None) -> list[EvalOutcome]:
    env = _Env(engine or Engine(max_samples=10000, timeout_s=100.0))
    out: list[EvalOutcome] = []
    for cmd in cmds:
        if isinstance(cmd, ClearCmd):
            env.clear()
        elif isinstance(cmd, LoadCmd):
            env.load(cmd)
        else:
            out.append(_run_eval(env, cmd, file))
    return out


def _run_eval(env: _Env, cmd: EvalCmd, file: str) -> EvalOutcome:
    from lab.server.promql.parser.parser import parse

    outcome = EvalOutcome(file, cmd.line, cmd.expr, PASS)
    try:
        expr = parse(cmd.expr)
    except PromQLError as exc:
        if cmd.fail and not cmd.has_histogram:
            return _expected_failure(outcome, cmd, exc)
        outcome.status = UNSUPPORTED if cmd.has_histogram else FAIL
        outcome.message = f"parse error: {exc}"
        return outcome
    if cmd.has_histogram or env.selects_histograms(expr):
        outcome.status = UNSUPPORTED
        outcome.message = "native histograms are not supported"
        return outcome
    try:
        if cmd.instant:
            _check_instant(env, cmd, expr)
        else:
            _check_range(env, cmd, expr)
    except CheckFailed as exc:
        outcome.status = FAIL
        outcome.message = str(exc)
    except Exception as exc:  # an engine bug must not stop the other evals
        outcome.status = FAIL
        outcome.message = f"internal error: {type(exc).__name__}: {exc}"
    return outcome


def _expected_failure(outcome: EvalOutcome, cmd: EvalCmd, exc: Exception) -> EvalOutcome:
    try:
        _check_failure(cmd, exc)
    except CheckFailed as err:
        outcome.status = FAIL
        outcome.message = str(err)
    return outcome


def _check_failure(cmd: EvalCmd, exc: Exception) -> None:
    text = str(exc)
    if cmd.fail_msg is not None and text != cmd.fail_msg:
        raise CheckFailed(f"expected error {cmd.fail_msg!r}, got {text!r}")
    if cmd.fail_regex is not None:
        from lab.model.re2 import translate

        if not re.search(translate(cmd.fail_regex), text):
            raise CheckFailed(f"expected error matching {cmd.fail_regex!r}, got {text!r}")


def _query(env: _Env, cmd: EvalCmd, run: object) -> QueryResult | None:
    """Run a query; None if it failed as the eval expected."""
    try:
        assert callable(run)
        result = run()
        assert isinstance(result, QueryResult)
    except PromQLError as exc:
        if cmd.fail:
            _check_failure(cmd, exc)
            return None
        raise CheckFailed(f"error evaluating query: {exc}") from exc
    if cmd.fail:
        raise CheckFailed("expected error evaluating query but got none")
    return result


def _check_instant(env: _Env, cmd: EvalCmd, expr: Expr) -> None:
    cases: list[tuple[Expr, int]] = [(expr, cmd.at_ms)]
    if not any(f in AT_UNSAFE_FUNCTIONS for f in _calls(expr)):
        t = cmd.at_ms
        times = [-1000, 0, 1000] if t == 0 else [-10 * t, 0, t // 5, t, 10 * t]
        at_expr = with_at(expr, t)
        cases.extend((at_expr, et) for et in times)
    for q, t in cases:
        res = _query(env, cmd, lambda q=q, t=t: env.engine.instant_query_expr(env.storage, q, t))
        if res is None:
            continue  # failed as expected; every variant must fail too
        _check_annotations(cmd, res)
        _compare(cmd, res.value)
        if (
            cmd.ordered
            or cmd.expect_string is not None
            or cmd.range_vector is not None
            or _RANGE_CHECK_SKIP.search(cmd.expr)
        ):
            continue
        try:
            rres = env.engine.range_query_expr(env.storage, q, t - 60_000, t + 60_000, 60_000)
        except PromQLError as exc:
            raise CheckFailed(f"error evaluating query in range mode: {exc}") from exc
        assert isinstance(rres.value, MatrixResult)
        samples = [
            Sample(s.labels, pt[0], pt[1])
            for s in rres.value.series
            for pt in s.points
            if pt[0] == t
        ]
        mid: ResultValue
        if isinstance(res.value, ScalarResult):
            if not samples:
                raise CheckFailed("range mode returned no point for a scalar query")
            mid = ScalarResult(t, samples[0].value)
        else:
            mid = VectorResult(samples)
        try:
            _compare(cmd, mid)
        except CheckFailed as exc:
            raise CheckFailed(f"in range mode: {exc}") from exc


def _check_range(env: _Env, cmd: EvalCmd, expr: Expr) -> None:
    res = _query(
        env,
        cmd,
        lambda: env.engine.range_query_expr(
            env.storage, expr, cmd.start_ms, cmd.end_ms, cmd.step_ms
        ),
    )
    if res is None:
        return
    _check_annotations(cmd, res)
    _compare(cmd, res.value)


def _check_annotations(cmd: EvalCmd, res: QueryResult) -> None:
    for kind, got, forbid in (
        ("warn", res.warnings, cmd.no_warn),
        ("info", res.infos, cmd.no_info),
    ):
        if forbid and got:
            raise CheckFailed(f"unexpected {kind} annotations: {got}")
        expected = [a for a in cmd.annotations if a.kind == kind]
        if not expected:
            continue
        if not got:
            raise CheckFailed(f"expected {kind} annotations but got none")
        specific = [a for a in expected if a.msg is not None or a.regex is not None]
        if not specific:
            continue

        def matches(a_msg: str | None, a_re: str | None, text: str) -> bool:
            if a_msg is not None:
                return text == a_msg
            assert a_re is not None
            from lab.model.re2 import translate

            return re.search(translate(a_re), text) is not None

        for a in specific:
            if not any(matches(a.msg, a.regex, g) for g in got):
                raise CheckFailed(f"expected {kind} annotation {a.msg or a.regex!r}, got {got}")
        for g in got:
            if not any(matches(a.msg, a.regex, g) for a in specific):
                raise CheckFailed(f"unexpected {kind} annotation {g!r}")


# -- comparing results ---------------------------------------------------------------------


def _fmt_labels(labels: Labels) -> str:
    return str(labels) if labels else "{}"


def _compare(cmd: EvalCmd, value: ResultValue) -> None:
    if cmd.expect_string is not None:
        if not isinstance(value, StringResult):
            raise CheckFailed(f"expected string result, got {value.result_type}")
        if value.value != cmd.expect_string:
            raise CheckFailed(f"expected string {cmd.expect_string!r}, got {value.value!r}")
        return
    if isinstance(value, StringResult):
        raise CheckFailed("unexpected string result")
    if cmd.scalar is not None:
        if not isinstance(value, ScalarResult):
            raise CheckFailed(f"expected scalar result, got {value.result_type}")
        if not almost_equal(value.value, cmd.scalar):
            raise CheckFailed(f"expected scalar {cmd.scalar}, got {value.value}")
        return
    if isinstance(value, ScalarResult):
        raise CheckFailed(f"expected vector or matrix result, got scalar {value.value}")
    if isinstance(value, MatrixResult):
        _compare_matrix(cmd, value)
    else:
        _compare_vector(cmd, value)


def _compare_matrix(cmd: EvalCmd, value: MatrixResult) -> None:
    if cmd.instant and cmd.range_vector is None:
        raise CheckFailed("unexpected range vector result for an instant query")
    if cmd.range_vector is not None:
        start, _, step = cmd.range_vector
    else:
        start, step = cmd.start_ms, cmd.step_ms
    got = {s.labels: s.points for s in value.series}
    if len(got) != len(cmd.expected):
        raise CheckFailed(
            f"expected {len(cmd.expected)} series, got {len(got)}: "
            + ", ".join(_fmt_labels(lab) for lab in got)
        )
    for exp in cmd.expected:
        points = got.get(exp.labels)
        if points is None:
            raise CheckFailed(f"expected series {_fmt_labels(exp.labels)} not found")
        want = [(start + i * step, v) for i, v in enumerate(exp.values) if v is not None]
        if len(want) != len(points):
            raise CheckFailed(
                f"series {_fmt_labels(exp.labels)}: expected {len(want)} points "
                f"{want}, got {len(points)} {points}"
            )
        for (wt, wv), (gt, gv) in zip(want, points, strict=True):
            if wt != gt or not almost_equal(gv, wv):
                raise CheckFailed(
                    f"series {_fmt_labels(exp.labels)}: expected {wv} at {wt}, got {gv} at {gt}"
                )


def _compare_vector(cmd: EvalCmd, value: VectorResult) -> None:
    if cmd.range_vector is not None:
        raise CheckFailed("expected a range vector, got an instant vector")
    samples = value.samples
    if len(samples) != len(cmd.expected):
        raise CheckFailed(
            f"expected {len(cmd.expected)} samples, got {len(samples)}: "
            + ", ".join(f"{_fmt_labels(s.labels)} {s.value}" for s in samples)
        )
    by_labels = {s.labels: (i, s) for i, s in enumerate(samples)}
    for pos, exp in enumerate(cmd.expected):
        if len(exp.values) != 1 or exp.values[0] is None:
            raise CheckFailed(
                f"expected one value for {_fmt_labels(exp.labels)} in an instant eval"
            )
        hit = by_labels.get(exp.labels)
        if hit is None:
            raise CheckFailed(f"expected sample {_fmt_labels(exp.labels)} not found")
        i, s = hit
        if cmd.ordered and i != pos:
            raise CheckFailed(f"expected {_fmt_labels(exp.labels)} at position {pos}, got {i}")
        if not almost_equal(s.value, exp.values[0]):
            raise CheckFailed(f"{_fmt_labels(exp.labels)}: expected {exp.values[0]}, got {s.value}")
