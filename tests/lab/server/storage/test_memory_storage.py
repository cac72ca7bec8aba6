import numpy as np

from lab.model.labels import Labels
from lab.model.matcher import Matcher, MatchType
from lab.server.storage.memory import MemoryStorage


def test_append_commit_select_sorted_and_ranged() -> None:
    st = MemoryStorage()
    app = st.appender()
    a = Labels.of(__name__="up", job="a")
    b = Labels.of(__name__="up", job="b")
    for t in (30, 10, 20):
        app.append(b, t, float(t))
    app.append(a, 5, 1.0)
    assert st.querier(0, 100).select([Matcher(MatchType.EQUAL, "__name__", "up")]) == []
    app.commit()
    got = st.querier(10, 20).select([Matcher(MatchType.EQUAL, "__name__", "up")])
    assert [s.labels for s in got] == [b]
    assert got[0].timestamps.tolist() == [10, 20]
    got = st.querier(0, 100).select([Matcher(MatchType.REGEX, "job", "a|b")])
    assert [s.labels for s in got] == [a, b]


def test_rollback_and_last_write_wins() -> None:
    st = MemoryStorage()
    lab = Labels.of(__name__="x")
    st.add_series(lab, [0, 10], [1.0, 2.0])
    st.add_series(lab, [10, 5], [3.0, 4.0])
    app = st.appender()
    app.append(lab, 100, 9.0)
    app.rollback()
    app.commit()
    (s,) = st.querier(0, 1000).select([Matcher(MatchType.EQUAL, "__name__", "x")])
    assert s.timestamps.tolist() == [0, 5, 10]
    assert np.array_equal(s.values, [1.0, 4.0, 3.0])


def test_missing_label_matches_empty() -> None:
    st = MemoryStorage()
    st.add_series(Labels.of(__name__="x"), [0], [1.0])
    st.add_series(Labels.of(__name__="x", env="p"), [0], [1.0])
    got = st.querier(0, 0).select(
        [Matcher(MatchType.EQUAL, "__name__", "x"), Matcher(MatchType.EQUAL, "env", "")]
    )
    assert [s.labels for s in got] == [Labels.of(__name__="x")]
