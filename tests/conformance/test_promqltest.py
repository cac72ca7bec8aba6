"""The upstream PromQL test corpus (``../shared/conformance/promqltest``) through
our runner.

Every "core float" eval (no native histograms, no experimental feature; 944 of
them, classified by ``INVENTORY.tsv``) must pass, except those listed in
``promqltest_known_failures.txt``: that list is a ratchet. A core eval that
fails without being listed is a regression; a listed eval that now passes must
be removed from the list. The other evals are counted and reported.
"""

from __future__ import annotations

import csv
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from lab.server.promql.promqltest.runner import FAIL, PASS, EvalOutcome, run_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "promqltest"
KNOWN_FAILURES = Path(__file__).with_name("promqltest_known_failures.txt")
#: the same ratchet for float evals that use experimental features
KNOWN_EXPERIMENTAL_FAILURES = Path(__file__).with_name(
    "promqltest_known_failures_experimental.txt"
)
_EXPERIMENTAL_COLUMNS = ("dur_expr", "ext_range", "fill", "start_ts")

pytestmark = [
    pytest.mark.skipif(not CORPUS.is_dir(), reason="conformance corpus not present"),
    pytest.mark.skipif(
        importlib.util.find_spec("lab.server.promql.parser.parser") is None,
        reason="PromQL parser not present yet",
    ),
]


def _inventory() -> dict[tuple[str, int], dict[str, str]]:
    with (CORPUS / "INVENTORY.tsv").open(encoding="utf-8") as fh:
        return {(r["file"], int(r["line"])): r for r in csv.DictReader(fh, delimiter="\t")}


def _is_core(row: dict[str, str]) -> bool:
    return (
        row["hist"] == "0"
        and not row["exp_funcs"].strip()
        and all(row[c] in ("", "0") for c in _EXPERIMENTAL_COLUMNS)
    )


def _known_failures(path: Path = KNOWN_FAILURES) -> set[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            file, num = line.rsplit(":", 1)
            out.add((file, int(num)))
    return out


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, int], EvalOutcome]:
    results: dict[tuple[str, int], EvalOutcome] = {}
    for path in sorted(CORPUS.glob("*.test")):
        for o in run_file(path):
            results[(o.file, o.line)] = o
    return results


def test_every_inventory_eval_ran(outcomes: dict[tuple[str, int], EvalOutcome]) -> None:
    inventory = _inventory()
    assert set(inventory) == set(outcomes)
    assert sum(_is_core(r) for r in inventory.values()) == 944


def test_core_float_evals_ratchet(outcomes: dict[tuple[str, int], EvalOutcome]) -> None:
    inventory = _inventory()
    core = {k for k, r in inventory.items() if _is_core(r)}
    failing = {k for k in core if outcomes[k].status != PASS}
    known = _known_failures()
    regressions = sorted(failing - known)
    fixed = sorted(known - failing)
    report = [f"{f}:{n}: {outcomes[(f, n)].expr} -- {outcomes[(f, n)].message}"
              for f, n in regressions[:30]]  # fmt: skip
    assert not regressions, "core evals that fail but are not known failures:\n" + "\n".join(
        report
    )
    assert not fixed, "these evals now pass; remove them from the known failures:\n" + "\n".join(
        f"{f}:{n}" for f, n in fixed
    )


def test_experimental_float_evals_ratchet(
    outcomes: dict[tuple[str, int], EvalOutcome],
) -> None:
    inventory = _inventory()
    other = {k for k, r in inventory.items() if r["hist"] == "0" and not _is_core(r)}
    failing = {k for k in other if outcomes[k].status != PASS}
    known = _known_failures(KNOWN_EXPERIMENTAL_FAILURES)
    assert sorted(failing - known) == [], "experimental float evals newly failing"
    assert sorted(known - failing) == [], "now passing; remove from the known failures"


def test_report_counts(outcomes: dict[tuple[str, int], EvalOutcome]) -> None:
    inventory = _inventory()
    groups: dict[str, Counter[str]] = {"core": Counter(), "float": Counter(), "hist": Counter()}
    for key, row in inventory.items():
        status = outcomes[key].status
        if _is_core(row):
            groups["core"][status] += 1
        if row["hist"] == "0":
            groups["float"][status] += 1
        else:
            groups["hist"][status] += 1
    for name, c in groups.items():
        print(f"{name}: {c[PASS]} passed, {c[FAIL]} failed, {c['unsupported']} unsupported")
    assert groups["core"][PASS] + groups["core"][FAIL] + groups["core"]["unsupported"] == 944
