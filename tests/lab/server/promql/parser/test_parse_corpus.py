"""Every eval expression of the promqltest corpus parses (upstream's runner
parses each one while reading the file, so none may be a syntax error)."""

from __future__ import annotations

import pytest

from lab.server.promql.errors import ParseError
from lab.server.promql.parser.parser import parse
from tests.lab.server.promql.parser.corpus import CORPUS, evals

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared corpus not present")


def test_corpus_is_complete() -> None:
    # 2214 evals in the 3.14 corpus (specs/promqltest-inventory.md).
    assert len(evals()) == 2214


def test_every_eval_expression_parses() -> None:
    failures = []
    for ev in evals():
        try:
            parse(ev.expr)
        except ParseError as exc:
            failures.append(f"{ev.id}: {ev.expr!r}: {exc}")
    assert failures == []


def test_expected_failures_are_not_parse_errors() -> None:
    # The corpus's expected failures are all raised by the engine; the
    # messages it asserts are plain texts, never "1:1: parse error: ...".
    for ev in evals():
        if ev.fail_message is not None:
            assert "parse error" not in ev.fail_message
