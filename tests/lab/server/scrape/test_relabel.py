"""Relabeling: the table in data/relabel_cases.yml, plus Go-style expansion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.model.labels import Labels
from lab.model.re2 import compile_anchored
from lab.server.scrape.errors import RelabelConfigError
from lab.server.scrape.relabel import RelabelConfig, expand, process

CASES = yaml.safe_load((Path(__file__).parent / "data" / "relabel_cases.yml").read_text())


def _rule(spec: dict[str, Any]) -> RelabelConfig:
    spec = dict(spec)
    if "source_labels" in spec:
        spec["source_labels"] = tuple(spec["source_labels"])
    return RelabelConfig.create(**spec)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_relabel_case(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(RelabelConfigError) as info:
            [_rule(r) for r in case["rules"]]
        assert str(info.value) == case["error"]
        return
    rules = [_rule(r) for r in case["rules"]]
    got = process(Labels.of(case["input"]), rules)
    want = None if case["output"] is None else Labels.of(case["output"])
    assert got == want


@pytest.mark.parametrize(
    ("template", "want"),
    [
        ("$1", "a"),
        ("${1}", "a"),
        ("$1x", ""),  # the name is "1x": no such group
        ("${1}x", "ax"),
        ("$$1", "$1"),
        ("$", "$"),
        ("$-", "$-"),
        ("${x", "${x"),
        ("$9", ""),
        ("$name", "b"),
    ],
)
def test_expand_like_go(template: str, want: str) -> None:
    m = compile_anchored("(a)(?P<name>b)").fullmatch("ab")
    assert m is not None
    assert expand(template, m) == want


def test_no_rules_returns_the_same_labels() -> None:
    labels = Labels.of(a="1")
    assert process(labels, []) is labels
