"""Go text/template expansion, table-driven from data/templates.yml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.server.rules.errors import TemplateParseError
from lab.server.rules.templates import ALERT_TEMPLATE_DEFS, expand_alert, parse_template
from lab.server.rules.templates.funcs import QuerySample

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "templates.yml").read_text()
)
LABELS = {"instance": "host.example.org:9100", "job": "node"}


def _expand(case: dict[str, Any]) -> str:
    return expand_alert(
        "Test",
        case["template"],
        labels=case.get("labels", LABELS),
        value=float(case.get("value", 0.5)),
        external_labels={"region": "eu"},
        external_url="http://prom.example",
    )


@pytest.mark.parametrize("case", CASES, ids=[c["template"][:40] for c in CASES])
def test_template(case: dict[str, Any]) -> None:
    if "load_error" in case:
        with pytest.raises(TemplateParseError) as exc:
            parse_template("__alert_Test", ALERT_TEMPLATE_DEFS + case["template"])
        assert case["load_error"] in str(exc.value)
        return
    parse_template("__alert_Test", ALERT_TEMPLATE_DEFS + case["template"])  # loads
    got = _expand(case)
    if "error" in case:
        assert got.startswith("<error expanding template: ") and case["error"] in got
    else:
        assert got == case["want"]


def test_query_first_value_label_sort_by_label() -> None:
    samples = [
        QuerySample({"__name__": "up", "instance": "b"}, 0.0),
        QuerySample({"__name__": "up", "instance": "a"}, 1.0),
    ]
    text = (
        '{{ with query "up" }}{{ . | first | value }} {{ . | first | label "instance" }}{{ end }}'
        '|{{ range sortByLabel "instance" (query "up") }}'
        "{{ .Labels.instance }}={{ .Value }},{{ end }}"
    )
    got = expand_alert("T", text, labels={}, value=0.0, query=lambda q: samples)
    assert got == "0 b|a=1,b=0,"
