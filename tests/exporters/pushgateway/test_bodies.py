"""Push bodies: the shape memo gives exactly what the full parse gives, and
anything it cannot vouch for (new shape, refused value, timestamps, bad
UTF-8) takes the full parse with its error texts."""

from __future__ import annotations

import pytest

from exporters.pushgateway.bodies import BodyParser, parse_body
from exporters.pushgateway.errors import BodyError

BODIES = [
    "# TYPE g gauge\ng {v}\n",
    '# HELP c A \\\\ counter\\nwith help.\n# TYPE c counter\nc{{a="1"}} {v}\nc{{a="2"}} 7\n',
    'plain {v}\nplain {v}\nother{{x="y"}} -{v}\n',  # repeated plain series: two metrics
    "# TYPE h histogram\n"
    'h_bucket{{le="0.5"}} 1\nh_bucket{{le="1"}} {v}\nh_bucket{{le="+Inf"}} 9\n'
    "h_sum 3.5\nh_count 9\n"
    'h_bucket{{le="1",k="b"}} 2\nh_sum{{k="b"}} {v}\nh_count{{k="b"}} 2\n',
    '# TYPE s summary\ns{{quantile="0.5"}} {v}\ns{{quantile="0.99"}} NaN\ns_sum 1e3\ns_count {v}\n',
    "# TYPE u untyped\nu +Inf\nu2 {v}\n",
]
VALUES = ["1", "2.5", "1e-7", "3", "42"]


@pytest.mark.parametrize("template", BODIES)
def test_memo_builds_what_the_full_parse_builds(template: str) -> None:
    parser = BodyParser()
    for value in VALUES:
        body = template.format(v=value).encode()
        got, expected = parser.parse(body), parse_body(body)
        assert repr(got) == repr(expected)  # repr: NaN != NaN
    assert (parser.hits, parser.misses) == (len(VALUES) - 1, 1)


def test_refused_values_take_the_full_parse_and_its_error() -> None:
    parser = BodyParser()
    parser.parse(b"# TYPE g gauge\ng 1\n")
    for bad in (
        b"# TYPE g gauge\ng 1.2.3\n",
        b"# TYPE g gauge\ng 1e999\n",
        b"# TYPE g gauge\ng -nan\n",
    ):
        with pytest.raises(BodyError) as memo_error:
            parser.parse(bad)
        with pytest.raises(BodyError) as full_error:
            parse_body(bad)
        assert str(memo_error.value) == str(full_error.value)
        assert "line 2" in str(memo_error.value)
    assert parser.hits == 0


def test_timestamps_are_never_memoized_and_are_flagged() -> None:
    parser = BodyParser()
    for _ in range(2):
        (fam,) = parser.parse(b"g 1 1700000000000\n").values()
        assert fam.metrics[0].has_timestamp
    assert parser.hits == 0 and not parser.shapes


def test_invalid_utf8_and_empty_bodies() -> None:
    parser = BodyParser()
    with pytest.raises(BodyError, match="UTF-8"):
        parser.parse(b'g{a="\xff"} 1\n')
    assert parser.parse(b"  \n") == {}


def test_shapes_are_bounded() -> None:
    parser = BodyParser(max_shapes=2)
    for name in ("a", "b", "c", "d"):
        parser.parse(f"{name} 1\n".encode())
    assert len(parser.shapes) <= 2
