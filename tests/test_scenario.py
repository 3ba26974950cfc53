"""Scenarios: the shipped ones load; each kind of bad input is named, with exit status 2."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support import SCENARIOS
from town.cli import main
from town.scenario import ScenarioError, load_scenario

GOOD = (SCENARIOS / "the_ville_3.toml").read_text()


def test_shipped_scenarios_load(ville3, ville25) -> None:
    assert [a.name for a in ville3.agents] == ["Isabella Rodriguez", "Maria Lopez", "Klaus Mueller"]
    assert len(ville25.agents) == 25
    assert len({a.name for a in ville25.agents}) == 25
    assert len({(a.occupation, a.home) for a in ville25.agents}) == 25
    assert ville3.town.start == dt.datetime(2023, 2, 13, 5, 0)
    assert ville3.end == dt.datetime(2023, 2, 14, 5, 0)
    assert ville3.events[0].agent == "Klaus Mueller"


def run_bad(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text.replace('"../maps/', f'"{SCENARIOS.parent}/maps/'))
    code = main(["run", str(scenario), "--headless", "--llm", "scripted", "--no-save"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(scenario) in err
    return err


def line_of(text: str, needle: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "age = 34",
            'age = 34\nfavourite_colour = "red"',
            "agents[0].favourite_colour: unknown key",
        ),
        ("age = 20\n", "", "agents[2].age: missing field"),
        (
            'home = "Dorm for Oak Hill College:Klaus Mueller\'s room"',
            'home = "Dorm for Oak Hill Colege:Klaus Mueller\'s room"',
            "agents[2].home: no place",
        ),
        ('workplace = "Hobbs Cafe:cafe"', 'workplace = "Hobbs Caff"', "agents[0].workplace"),
        ('start = "2023-02-13 05:00"', 'start = "2023-02-30 05:00"', "town.start: Input should"),
        ('wake = "07:00"', 'wake = "7 o\'clock"', "agents[2].wake"),
        ('name = "Maria Lopez"', 'name = "Isabella Rodriguez"', "agents[1].name: duplicate name"),
        ('agent = "Klaus Mueller"', 'agent = "Klaus Muller"', "events[0].agent: no agent named"),
        (
            'at = "2023-02-13 07:30"',
            'at = "2023-03-13 07:30"',
            "events[0].at: 2023-03-13 07:30:00 is outside the run",
        ),
        ('kind = "whisper"', 'kind = "shout"', "events[0].kind"),
        ("hours = 24", "hours = -1", "run.hours"),
        ("seconds_per_tick = 10", "seconds_per_tick = 0", "town.seconds_per_tick"),
    ],
)
def test_bad_scenarios_are_named(tmp_path, capsys, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    err = run_bad(tmp_path, text, capsys)
    assert expected in err


def test_errors_point_at_the_line(tmp_path, capsys) -> None:
    text = GOOD.replace('workplace = "Oak Hill College:library"', 'workplace = "Nowhere"')
    err = run_bad(tmp_path, text, capsys)
    assert f"bad.toml:{line_of(text, 'Nowhere')}: agents[2].workplace" in err
    text = GOOD.replace("age = 21", 'age = 21\nhair = "red"')
    err = run_bad(tmp_path, text, capsys)
    assert f"bad.toml:{line_of(text, 'hair')}: agents[1].hair: unknown key" in err


def test_toml_syntax_errors_name_the_line(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, GOOD.replace("seed = 3", "seed = = 3"), capsys)
    assert "not valid TOML" in err and f"line {line_of(GOOD, 'seed = 3')}" in err


def test_missing_scenario_file(tmp_path, capsys) -> None:
    assert main(["run", str(tmp_path / "none.toml"), "--llm", "scripted", "--no-save"]) == 2
    assert "no such scenario file" in capsys.readouterr().err


def test_a_map_that_is_not_there(tmp_path, capsys) -> None:
    text = GOOD.replace('map = "../maps/the_ville.tmx"', 'map = "nowhere.tmx"')
    err = run_bad(tmp_path, text, capsys)
    assert "town.map: no such map file" in err and "nowhere.tmx" in err


def test_load_scenario_raises_scenario_error(tmp_path) -> None:
    bad = tmp_path / "x.toml"
    bad.write_text("[town]\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    message = str(caught.value)
    assert "town.start: missing field" in message and "agents: missing field" in message
