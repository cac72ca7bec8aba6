"""Store semantics with an injected clock: TTL expiry, failure times, replay."""

from __future__ import annotations

import pytest

from exporters.pushgateway.bodies import parse_body
from exporters.pushgateway.collector import UPSTREAM_OWN_TYPES
from exporters.pushgateway.errors import GroupingKeyError, InconsistentPushError
from exporters.pushgateway.grouping import decode_base64, parse_grouping_path
from exporters.pushgateway.store import Record, Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple[Store, Clock, list[Record]]:
    clock = Clock()
    journal: list[Record] = []
    store = Store(own_types=UPSTREAM_OWN_TYPES, clock=clock, journal=journal.append)
    return store, clock, journal


def test_group_ttl_expires_only_stale_groups() -> None:
    store, clock, journal = make()
    store.push({"job": "old"}, parse_body(b"a 1\n"), replace=True)
    clock.now += 50
    store.push({"job": "new"}, parse_body(b"b 1\n"), replace=True)
    clock.now += 60  # old: 110 s without a push, new: 60 s
    assert store.expire(100) == 1
    assert [g.labels for g in store.groups.values()] == [{"job": "new"}]
    assert journal[-1] == {"op": "delete", "g": {"job": "old"}}
    clock.now += 41
    assert store.expire(100) == 1
    assert not store.groups


def test_failed_push_sets_failure_time_and_keeps_metrics() -> None:
    store, clock, _ = make()
    store.push({"job": "j"}, parse_body(b"a 1\n"), replace=True)
    clock.now = 2000.0
    with pytest.raises(InconsistentPushError, match="must not have timestamps"):
        store.push({"job": "j"}, parse_body(b"a 2 123\n"), replace=True)
    group = next(iter(store.groups.values()))
    assert group.time_of("push_time_seconds") == 1000.0
    assert group.time_of("push_failure_time_seconds") == 2000.0
    assert group.families["a"].metrics[0].value == 1.0


def test_replaying_the_journal_rebuilds_the_same_state() -> None:
    store, clock, journal = make()
    store.push(
        {"job": "j", "instance": "i"}, parse_body(b"# TYPE c counter\nc 1\nd 2\n"), replace=True
    )
    store.push({"job": "j", "instance": "i"}, parse_body(b"d 3\n"), replace=False)
    store.push({"job": "k"}, parse_body(b"e 1\n"), replace=True)
    store.delete({"job": "k"})
    with pytest.raises(InconsistentPushError):
        store.push({"job": "x"}, parse_body(b"# TYPE c gauge\nc 1\n"), replace=True)
    replayed = Store(own_types=UPSTREAM_OWN_TYPES, clock=clock)
    for record in journal:
        replayed.apply(record)
    assert replayed.render() == store.render()
    snapshot = Store(own_types=UPSTREAM_OWN_TYPES, clock=clock)
    for record in store.snapshot():
        snapshot.apply(record)
    assert snapshot.render() == store.render()


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("job/a", {"job": "a"}),
        ("job/a/", {"job": "a"}),
        ("job/a/x/", {"job": "a", "x": ""}),
        ("job/a/p@base64/L3Zhci90bXA", {"job": "a", "p": "/var/tmp"}),
        ("job/a/p/%2Fvar%2Ftmp", {"job": "a", "p": "/var/tmp"}),
        ("job@base64/L3NsYXNoL2pvYg==/job/ignored", {"job": "/slash/job"}),
    ],
)
def test_grouping_paths(tail: str, expected: dict[str, str]) -> None:
    assert parse_grouping_path(tail) == expected


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("job/a/b", 'odd number of components in label string "/b"'),
        ("job/a/1x/v", 'improper label name "1x"'),
        ("job/a/__x@base64/v", 'improper label name "__x"'),
        (
            "job/a/l@base64/abcde",
            'invalid base64 encoding for label l="abcde": illegal base64 data at input byte 4',
        ),
        (
            "job@base64/!!",
            'invalid base64 encoding in job name "": illegal base64 data at input byte 0',
        ),
        ("job@base64/=", "job name is required"),
    ],
)
def test_grouping_errors(tail: str, message: str) -> None:
    with pytest.raises(GroupingKeyError) as info:
        parse_grouping_path(tail)
    assert str(info.value) == message


def test_base64_padding_optional() -> None:
    assert decode_base64("Zm9v") == decode_base64("Zm9v==") == "foo"
    assert decode_base64("=") == ""
