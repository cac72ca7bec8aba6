"""The promqltest script parser and value notation."""

import math

import numpy as np
import pytest

from lab.model.labels import Labels
from lab.model.value import is_stale
from lab.server.promql.promqltest.notation import (
    NotationError,
    parse_duration_ms,
    parse_series_descriptor,
    parse_value_columns,
    parse_values,
)
from lab.server.promql.promqltest.runner import almost_equal
from lab.server.promql.promqltest.script import ClearCmd, EvalCmd, LoadCmd, parse_script

SCRIPT = """
# a comment
load 1m
    http_requests{job="api", instance="0"}  0+10x3
    other 1 _ stale _x2 4

clear
eval instant at 50m sum by (job) (http_requests)
    expect warn msg: PromQL warning: something (1:1)
    expect no_info
    {job="api"} 500

eval range from 0 to 2m step 1m metric
    metric 1 _ 5

eval_fail instant at 0 -{job="api"}
    expected_fail_message boom

eval instant at 1m some_metric[1m]
    expect range vector from 10s to 1m step 10s
    some_metric{env="a"} 2 3 4 5 6

eval instant at 0 ("Foo")
    expect string `Foo`

eval instant at 0 1
    0x1F
"""


def test_parse_script_commands() -> None:
    cmds = parse_script(SCRIPT)
    assert [type(c) for c in cmds] == [LoadCmd, ClearCmd] + [EvalCmd] * 6
    load = cmds[0]
    assert isinstance(load, LoadCmd)
    ts, vs = load.series[Labels.of(__name__="http_requests", job="api", instance="0")]
    assert ts == [0, 60_000, 120_000, 180_000] and vs == [0, 10, 20, 30]
    ts, vs = load.series[Labels.of(__name__="other")]
    assert ts == [0, 120_000, 300_000] and is_stale(vs[1])
    ev = cmds[2]
    assert isinstance(ev, EvalCmd)
    assert ev.line == 8 and ev.instant and ev.at_ms == 3_000_000
    assert ev.annotations[0].msg == "PromQL warning: something (1:1)" and ev.no_info
    rng = cmds[3]
    assert isinstance(rng, EvalCmd) and not rng.instant and rng.expected[0].values == [1, None, 5]
    fail = cmds[4]
    assert isinstance(fail, EvalCmd) and fail.fail and fail.fail_msg == "boom"
    rv = cmds[5]
    assert isinstance(rv, EvalCmd) and rv.range_vector == (10_000, 60_000, 10_000)
    s = cmds[6]
    assert isinstance(s, EvalCmd) and s.expect_string == "Foo"
    sc = cmds[7]
    assert isinstance(sc, EvalCmd) and sc.scalar == 31.0


def test_clear_takes_no_body() -> None:
    cmds = parse_script("clear\neval instant at 0 x\n")
    assert [type(c) for c in cmds] == [ClearCmd, EvalCmd]


def test_values_expand_by_repeated_addition() -> None:
    vals = parse_values("0.1+0.1x2 1-2x2 9x1 Inf -inf NaN .8 {{schema:0 sum:1}}x1")
    assert vals.values[:9] == [0.1, 0.2, 0.30000000000000004, 1, -1, -3, 9, 9, math.inf]
    assert vals.values[9] == -math.inf and math.isnan(vals.values[10]) and vals.values[11] == 0.8
    assert vals.histograms == [12, 13]


def test_descriptors_and_durations() -> None:
    labels, rest = parse_series_descriptor('{__name__="a", b="x\\"y"} 1 2')
    assert labels == Labels.of(__name__="a", b='x"y') and rest.split() == ["1", "2"]
    assert parse_series_descriptor("{} 1")[0] == Labels()
    assert parse_duration_ms("1h2m3s4ms") == 3_723_004
    with pytest.raises(NotationError):
        parse_duration_ms("5")


def test_almost_equal() -> None:
    assert almost_equal(1.0, 1.0 + 1e-9)
    assert not almost_equal(0.0, 1e-30)
    assert almost_equal(math.nan, math.nan)
    assert not almost_equal(1.0, 1.1)


def test_value_columns_match_the_list_form() -> None:
    text = "1 _ 0.1+0.1x3 _x2 stale 5m {{schema:0 sum:1}}x1 3-1x2"
    cols = parse_value_columns(text)
    listed = parse_values(text).values
    assert cols.present.tolist() == [v is not None for v in listed]
    assert cols.values[cols.present].tolist()[:2] == [1.0, 0.1]
    assert cols.values[4] == 0.30000000000000004  # repeated addition, not 0.1 + 0.1 * 2
    assert cols.histograms == [10, 11]
    present = [v for v in listed if v is not None]
    np.testing.assert_array_equal(
        cols.values[cols.present].view(np.uint64), np.array(present).view(np.uint64)
    )
