from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.tsdb.postings import MemPostings, select_ids


class CountingMatcher(Matcher):
    calls = 0

    def matches(self, value: str) -> bool:
        CountingMatcher.calls += 1
        return super().matches(value)


def test_regex_runs_once_per_distinct_value() -> None:
    p = MemPostings()
    for i in range(1000):
        p.add(i + 1, Labels.of(__name__="m", job=("api", "db", "web")[i % 3], id=str(i)))
    CountingMatcher.calls = 0
    ids = select_ids([CountingMatcher(MatchType.REGEX, "job", "a.*|w.*")], p)
    assert ids.size == 667
    assert CountingMatcher.calls <= 3 + 1  # each value once (+ the empty-string probe)


series = st.lists(
    st.dictionaries(
        st.sampled_from(["__name__", "a", "b"]), st.sampled_from(["x", "y", "xy", "z"]), min_size=1
    ),
    max_size=30,
)
matchers = st.lists(
    st.builds(
        Matcher,
        st.sampled_from(list(MatchType)),
        st.sampled_from(["__name__", "a", "b", "c"]),
        st.sampled_from(["", "x", "y", "x.*", ".+", "x|z", ".*"]),
    ),
    max_size=3,
)


@given(series, matchers)
def test_select_ids_equals_brute_force(sets: list[dict[str, str]], ms: list[Matcher]) -> None:
    p = MemPostings()
    labels = [Labels.of(d) for d in sets]
    for ref, lset in enumerate(labels, start=1):
        p.add(ref, lset)
    want = [
        ref
        for ref, lset in enumerate(labels, start=1)
        if all(m.matches(lset.get(m.name)) for m in ms)
    ]
    assert select_ids(ms, p).tolist() == want
