"""`town check`, and the checks of a scenario against its map that it shares with `town run`:
a home, workplace or spawn tile that walls shut off is an error before the run, not a run of
'cannot reach' warnings during it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import MAP, ROOT, SCENARIOS
from tests.test_world import GOOD_GROUPS, group, rect, tileset, write_map
from town.cli import build_parser, main
from town.llm.check import cmd_check
from town.scenario import ScenarioError, check_places, load_scenario
from town.world import load_town
from town.world.paths import Regions

SHIPPED = sorted(SCENARIOS.glob("*.toml")) + sorted((ROOT / "tests" / "scenarios").glob("*.toml"))

# A 10x5 town: Home (x 0-3) and Cafe (x 5-9), with the street x = 4 between them.
TOWN = (
    group("sectors", rect(1, "Home", 0, 0, 4, 5) + rect(2, "Cafe", 5, 0, 5, 5))
    + group("arenas", rect(3, "bedroom", 0, 0, 4, 5) + rect(4, "cafe", 5, 0, 5, 5))
    + group("objects", rect(5, "bed", 0, 0, 1, 1) + rect(6, "counter", 9, 4, 1, 1))
    + group("spawns", rect(7, "spawn", 1, 1, 1, 1))
)
STREET_WALL = frozenset((4, y) for y in range(5))
BED_WALL = frozenset({(1, 0), (0, 1)})

SCENARIO = """\
[town]
map = "town.tmx"
start = "2023-02-13 07:00"

[[agents]]
name = "Ann Lee"
age = 30
innate = "kind"
background = "Ann Lee bakes bread."
currently = "baking"
wake = "07:00"
sleep = "22:00"
home = "Home:bedroom"
occupation = "baker"
workplace = "Cafe:cafe"

[[agents]]
name = "Bob Ray"
age = 40
innate = "calm"
background = "Bob Ray writes at home."
currently = "writing"
wake = "08:00"
sleep = "23:00"
home = "Home:bedroom"
occupation = "writer"
workplace = "Home:bedroom"
"""


def scenario_on(tmp_path: Path, blocked: frozenset[tuple[int, int]] = frozenset()) -> Path:
    write_map(tmp_path, TOWN, "town.tmx", width=10, height=5, blocked=blocked)
    path = tmp_path / "my.toml"
    path.write_text(SCENARIO)
    return path


def line_of(path: Path, needle: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i + 1 for i in range(start, len(lines)) if needle in lines[i])


def test_a_town_where_everyone_can_go_everywhere_passes(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_on(tmp_path))
    check_places(scenario, load_town(scenario.map_path))


def test_a_workplace_behind_walls_is_an_error_at_load(tmp_path: Path) -> None:
    path = scenario_on(tmp_path, STREET_WALL)
    scenario = load_scenario(path)
    with pytest.raises(ScenarioError) as caught:
        check_places(scenario, load_town(scenario.map_path))
    lines = str(caught.value).splitlines()
    assert len(lines) == 1, lines  # Bob works at home: nothing wrong with him
    line = line_of(path, 'workplace = "Cafe:cafe"')
    assert lines[0].startswith(f"{path}:{line}: agents[0].workplace: ")
    assert "'Cafe:cafe'" in lines[0] and "(1, 1)" in lines[0]


def test_a_bed_behind_walls_is_an_error_of_the_home(tmp_path: Path) -> None:
    path = scenario_on(tmp_path, BED_WALL)
    scenario = load_scenario(path)
    with pytest.raises(ScenarioError) as caught:
        check_places(scenario, load_town(scenario.map_path))
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["agents[0].home", "agents[1].home"]
    assert lines[1].startswith(f"{path}:{line_of(path, 'home =', after='Bob Ray')}: ")
    assert "'Home:bedroom:bed'" in lines[0]


def test_the_check_floods_each_region_once(ville25, town, monkeypatch) -> None:
    floods = []
    flood = Regions._flood
    monkeypatch.setattr(Regions, "_flood", lambda self, tile: floods.append(flood(self, tile)))
    check_places(ville25, town)  # 25 agents, each with a home, bed, workplace and spawn
    assert len(floods) == 1


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_town_check_passes_the_shipped_scenarios(path: Path, capsys) -> None:
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    agents = len(load_scenario(path).agents)
    assert out.startswith(f"OK: {path}: {agents} agents") and "reachable" in out


def test_town_check_summarises_a_map(capsys) -> None:
    assert main(["check", str(MAP)]) == 0
    captured = capsys.readouterr()
    town = load_town(MAP)
    assert captured.out.startswith(f"OK: {MAP}: 'the Ville', 120x86 tiles")
    assert f"{len(town.sectors())} sectors" in captured.out
    assert captured.err == ""


@pytest.mark.parametrize(
    ("name", "groups", "head", "message"),
    [
        (
            "bad.tmx",
            GOOD_GROUPS.replace('name="spawns"', 'name="spawn"'),
            "",
            "the map has no layer named 'spawns'; did you mean 'spawn'?",
        ),
        (
            "bad.tmx",
            GOOD_GROUPS,
            ' <tileset firstgid="1" source="town.tsx"/>\n',
            "tileset 'town.tsx' not found",
        ),
        ("bad.tmj", GOOD_GROUPS, "", "a Tiled JSON map cannot be loaded; save it as .tmx"),
    ],
)
def test_town_check_refuses_a_bad_map_with_an_error_line(
    tmp_path: Path, capsys, name: str, groups: str, head: str, message: str
) -> None:
    path = write_map(tmp_path, groups, name, head=head)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {path}: {message}")
    assert captured.out == ""


def test_town_check_refuses_a_scenario_whose_workplace_is_walled_off(tmp_path, capsys) -> None:
    path = scenario_on(tmp_path, STREET_WALL)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    line = line_of(path, 'workplace = "Cafe:cafe"')
    assert err.startswith(f"error: {path}:{line}: agents[0].workplace: ")


def test_town_check_refuses_what_is_not_there(tmp_path: Path, capsys) -> None:
    for name in ("nothing.toml", "nothing.tmx"):
        assert main(["check", str(tmp_path / name)]) == 2
        assert capsys.readouterr().err.startswith(f"error: {tmp_path / name}: no such")


def test_town_check_warns_of_a_missing_tileset_image(tmp_path: Path, capsys) -> None:
    path = write_map(tmp_path, GOOD_GROUPS, head=tileset(tmp_path, "gone.png"))
    assert main(["check", str(path)]) == 0  # a headless run needs no pictures
    captured = capsys.readouterr()
    assert captured.out.startswith("OK: ")
    assert f"warning: {path}: the tileset image {tmp_path / 'gone.png'} is missing" in captured.err


def test_llm_check_is_still_there() -> None:
    args = build_parser().parse_args(["llm", "check", "--llm", "scripted"])
    assert args.command is cmd_check
