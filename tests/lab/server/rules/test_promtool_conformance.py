"""promtool's own unit-test files (../shared/conformance/promtool) give
upstream's expected verdicts (Prometheus 3.x), in both evaluation paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.server.rules.unittest_report import run_files
from lab.server.rules.unittest_run import Options, run_test_file

CONFORMANCE = Path(__file__).resolve().parents[4].parent / "shared" / "conformance" / "promtool"

#: (file, --run regexes, --ignore-unknown-fields, upstream's expected exit code)
VERDICTS = [
    ("unittest.yml", (), False, 0),
    ("long-period.yml", (), False, 0),
    ("bad-input-series.yml", (), False, 1),
    ("bad-promql.yml", (), False, 1),
    ("bad-rules-syntax-test.yml", (), False, 1),
    ("bad-rules-error-test.yml", (), False, 1),
    ("failing.yml", (), False, 1),
    ("at-modifier-test.yml", (), False, 0),
    ("negative-offset-test.yml", (), False, 0),
    ("no-test-group-interval.yml", (), False, 0),
    ("start-time-test.yml", (), False, 0),
    ("rules_run.yml", (), False, 1),
    ("rules_run.yml", ("correct",), False, 0),
    ("rules_run_fuzzy.yml", ("correct",), False, 0),
    ("rules_run_fuzzy.yml", ("wrong",), False, 1),
    ("rules_run_no_fuzzy.yml", (), False, 1),
    ("rules_run_extrafields.yml", (), True, 0),
    ("rules_run_extrafields.yml", (), False, 1),
]

pytestmark = pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="no conformance data")


def _id(case: tuple[str, tuple[str, ...], bool, int]) -> str:
    name, run, ignore, _ = case
    return name + "".join(f"-run={r}" for r in run) + ("-ignore-unknown" if ignore else "")


@pytest.mark.parametrize("case", VERDICTS, ids=_id)
def test_verdict(
    case: tuple[str, tuple[str, ...], bool, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, run, ignore, expected = case
    monkeypatch.chdir(CONFORMANCE)
    rc = run_files(
        [name], Options(list(run), ignore_unknown_fields=ignore), junit=None, coverage=False
    )
    out = capsys.readouterr()
    assert rc == expected, out.err


@pytest.mark.parametrize("case", VERDICTS, ids=_id)
def test_vectorised_equals_step_by_step(
    case: tuple[str, tuple[str, ...], bool, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, run, ignore, _ = case
    monkeypatch.chdir(CONFORMANCE)

    def failures(vectorise: bool) -> list[list[str]]:
        opts = Options(list(run), ignore_unknown_fields=ignore, vectorise=vectorise)
        res = run_test_file(name, opts)
        return [[f.text for f in g.failures] for g in res.groups] + [[res.abort or ""]]

    vec = failures(True)
    assert vec == failures(False)


def test_failing_output_is_promtools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CONFORMANCE)
    res = run_test_file("failing.yml", Options())
    texts = [f.text for g in res.groups for f in g.failures]
    assert texts[1] == (
        '    expr: "test", time: 0s,\n'
        '        exp: {__name__="test"} 1E+00\n'
        '        got: {__name__="test"} 0E+00'
    )
    assert texts[2] == (
        "    name: Failing alert test,\n"
        "    alertname: InstanceDown, time: 5m, \n"
        "        exp:[], \n"
        "        got:[\n"
        "            0:\n"
        '              Labels:{alertname="InstanceDown", job="test", severity="page"}\n'
        '              Annotations:{description=" of job test has been down for more than'
        ' 5 minutes.", summary="Instance  down"}\n'
        "            ]"
    )
    # every failure knows its line in the test file
    assert [f.line for g in res.groups for f in g.failures] == [20, 13, 33, 36]


def test_rule_error_reported_once_and_other_assertions_still_run(tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text(
        "groups:\n- name: g\n  rules:\n  - record: joined\n    expr: a + on(x) b\n"
    )
    (tmp_path / "t.yml").write_text(
        "rule_files: [r.yml]\ntests:\n- input_series:\n"
        "  - {series: 'a{x=\"1\"}', values: '1x5'}\n"
        "  - {series: 'b{x=\"1\",y=\"1\"}', values: '1x5'}\n"
        "  - {series: 'b{x=\"1\",y=\"2\"}', values: '1x5'}\n"
        "  promql_expr_test:\n  - {expr: a, eval_time: 5m, exp_samples: [{labels: a, value: 2}]}\n"
    )
    res = run_test_file(str(tmp_path / "t.yml"), Options())
    texts = [f.text for f in res.groups[0].failures]
    assert texts[0].startswith("    rule: joined, time: 0s, err: found duplicate series")
    assert len(texts) == 2 and texts[1].startswith('    expr: "a", time: 5m,')
    assert res.groups[0].path.startswith("step-by-step (query error")
