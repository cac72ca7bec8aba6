from __future__ import annotations

import pytest

from lab.model.labels import Labels, is_legacy_label_name, is_legacy_metric_name


def test_labels_are_sorted_and_drop_empty_values() -> None:
    labels = Labels.of(job="api", __name__="up", empty="", instance="a:1")
    assert list(labels) == [("__name__", "up"), ("instance", "a:1"), ("job", "api")]
    assert labels.name == "up"
    assert labels.get("missing") == ""


def test_equal_label_sets_hash_equal() -> None:
    assert hash(Labels.of(a="1", b="2")) == hash(Labels.from_pairs([("b", "2"), ("a", "1")]))


def test_without_name_and_only() -> None:
    labels = Labels.of(__name__="x", a="1", b="2")
    assert labels.without_name() == Labels.of(a="1", b="2")
    assert labels.only("b") == Labels.of(b="2")
    assert labels.without("a", "__name__") == Labels.of(b="2")
    assert labels.set("a", "") == Labels.of(__name__="x", b="2")


@pytest.mark.parametrize(
    ("labels", "text"),
    [
        (Labels.of(__name__="up"), "up"),
        (Labels.of(__name__="up", job="a"), 'up{job="a"}'),
        (Labels.of(job='q"\\\n'), '{job="q\\"\\\\\\n"}'),
        (Labels.of(__name__="my.metric", a="b"), '{__name__="my.metric", a="b"}'),
        (Labels.of(**{"dotted.name": "v"}), '{"dotted.name"="v"}'),
        (Labels(), "{}"),
    ],
)
def test_prometheus_notation(labels: Labels, text: str) -> None:
    assert str(labels) == text


@pytest.mark.parametrize(
    ("name", "label_ok", "metric_ok"),
    [("a_b", True, True), ("a:b", False, True), ("1a", False, False), ("", False, False),
     ("_x9", True, True), ("é", False, False)],
)  # fmt: skip
def test_legacy_name_validity(name: str, label_ok: bool, metric_ok: bool) -> None:
    assert is_legacy_label_name(name) is label_ok
    assert is_legacy_metric_name(name) is metric_ok
