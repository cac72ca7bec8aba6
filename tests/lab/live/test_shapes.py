"""Load shapes as data: stages files, ramp/spike, the --duration cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.live import shapes
from lab.live.errors import ShapeError
from lab.live.shapes import LoadPlan, Stage


def test_stages_file_ticks_through_its_stages_and_ends(tmp_path: Path) -> None:
    path = tmp_path / "stages.yml"
    path.write_text(
        "stages:\n"
        "  - {duration: 30s, users: 5, spawn_rate: 1}\n"
        "  - {duration: 1m, users: 20, spawn_rate: 5}\n"
        "  - {duration: 10, users: 2}\n"
    )
    plan = shapes.load_stages(path)
    assert plan.total_s == 100
    assert plan.peak_users == 20
    assert plan.tick(0) == (5, 1.0)
    assert plan.tick(29.9) == (5, 1.0)
    assert plan.tick(30) == (20, 5.0)
    assert plan.tick(95) == (2, 2.0)  # spawn_rate defaults to the user count
    assert plan.tick(100) is None


def test_a_plain_list_is_accepted() -> None:
    plan = shapes.parse_stages([{"duration": "2s", "users": 1, "spawn_rate": 1}])
    assert plan.stages == (Stage(2.0, 1, 1.0),)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"stages": "fast"}, "expected a list of stages"),
        ([{"users": 1}], "stage 1: missing 'duration'"),
        ([{"duration": "1x", "users": 1}], "stage 1: invalid duration"),
        ([{"duration": 1, "users": 1.5}], "users must be an integer"),
        ([{"duration": 1, "users": 1, "rate": 1}], "unknown field(s) rate"),
        ([{"duration": 0, "users": 1}], "duration must be > 0"),
        ([{"duration": 1, "users": 10**6}], "users must be in"),
        ([], "at least one stage"),
    ],
)
def test_bad_stages_name_the_problem(document: object, message: str) -> None:
    with pytest.raises(ShapeError, match="<stages>") as err:
        shapes.parse_stages(document)
    assert message in str(err.value)


def test_unreadable_or_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ShapeError, match="cannot read"):
        shapes.load_stages(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("stages: [")
    with pytest.raises(ShapeError, match="not valid YAML"):
        shapes.load_stages(bad)


def test_ramp_climbs_to_the_peak() -> None:
    plan = shapes.ramp(10, 2.0, 20.0, steps=5)
    assert [s.users for s in plan.stages] == [2, 4, 6, 8, 10]
    assert plan.total_s == pytest.approx(20.0)
    assert shapes.ramp(2, 1.0, 4.0).peak_users == 2  # fewer users than steps


def test_spike_jumps_in_the_middle() -> None:
    plan = shapes.spike(8, 4.0, 10.0)
    assert [s.users for s in plan.stages] == [2, 8, 2]
    assert plan.tick(5.0) == (8, 4.0)


def test_cut_bounds_a_plan_by_duration() -> None:
    plan = LoadPlan((Stage(10, 1, 1), Stage(10, 5, 1))).cut(12)
    assert plan.stages == (Stage(10, 1, 1), Stage(2, 5, 1))
    assert plan.tick(12) is None
    with pytest.raises(ShapeError):
        plan.cut(0)


def test_unknown_builtin() -> None:
    with pytest.raises(ShapeError, match="unknown shape 'wave'"):
        shapes.builtin("wave", 1, 1, 1)
