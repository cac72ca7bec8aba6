"""The upstream PromQL test corpus (``../shared/conformance/promqltest``) through
our runner.

Every "core float" eval (no native histograms, no experimental feature; 944 of
them, classified by ``INVENTORY.tsv``) must pass. Float evals that use
experimental features must pass except those listed in
``promqltest_known_failures_experimental.txt``, a ratchet: one that fails
without being listed is a regression; a listed one that now passes must be
removed from the list. Native-histogram evals are counted and reported.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from lab.server.promql.promqltest.runner import FAIL, PASS, EvalOutcome, run_file
from tests.reference import reference_required

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "promqltest"
KNOWN_EXPERIMENTAL_FAILURES = Path(__file__).with_name(
    "promqltest_known_failures_experimental.txt"
)
_EXPERIMENTAL_COLUMNS = ("dur_expr", "ext_range", "fill", "start_ts")


@pytest.fixture(scope="module", autouse=True)
def corpus_present() -> None:
    """CI (PROMLAB_REQUIRE_REFERENCE=1) has ../shared beside the clone: never skip there."""
    if not CORPUS.is_dir():
        reason = f"conformance corpus not found at {CORPUS}"
        if reference_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def _inventory() -> dict[tuple[str, int], dict[str, str]]:
    with (CORPUS / "INVENTORY.tsv").open(encoding="utf-8") as fh:
        return {(r["file"], int(r["line"])): r for r in csv.DictReader(fh, delimiter="\t")}


def _is_core(row: dict[str, str]) -> bool:
    return (
        row["hist"] == "0"
        and not row["exp_funcs"].strip()
        and all(row[c] in ("", "0") for c in _EXPERIMENTAL_COLUMNS)
    )


def _known_failures(path: Path) -> set[tuple[str, int]]:
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


def test_every_core_float_eval_passes(outcomes: dict[tuple[str, int], EvalOutcome]) -> None:
    inventory = _inventory()
    core = {k for k, r in inventory.items() if _is_core(r)}
    failing = sorted(k for k in core if outcomes[k].status != PASS)
    report = [f"{f}:{n}: {outcomes[(f, n)].expr} -- {outcomes[(f, n)].message}"
              for f, n in failing[:30]]  # fmt: skip
    assert not failing, f"{len(failing)} core evals fail:\n" + "\n".join(report)


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
