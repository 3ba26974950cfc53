"""The Ville's map through pytmx: places resolve both ways, paths join every sector."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from town.scenario import check_places
from town.world import MapError, PathFinder, Town, UnknownPlace, Unreachable, load_town, places
from town.world.paths import Regions
from town.world.tiled import missing_images

SECTORS = {
    "Hobbs Cafe",
    "The Rose and Crown Pub",
    "Harvey Oak Supply Store",
    "The Willows Market and Pharmacy",
    "Oak Hill College",
    "Johnson Park",
    "Town Hall",
    "Dorm for Oak Hill College",
    "Artist's co-living space",
    "Lin family's house",
}


def test_the_map_holds_the_town(town: Town) -> None:
    assert town.world == "the Ville"
    assert (town.width, town.height, town.tile_size) == (120, 86, 32)
    names = {places.last(s) for s in town.sectors()}
    assert names >= SECTORS
    assert len(names) >= 20
    for sector in town.sectors():
        assert town.arenas(sector), f"{sector} has no arenas"
    objects = {
        places.last(o) for a in town.children for o in town.children[a] if places.depth(o) == 4
    }
    for wanted in ("bed", "stove", "desk", "counter", "bookshelf", "piano", "shower", "toilet"):
        assert any(wanted in o for o in objects), wanted


def test_every_place_the_scenarios_name_resolves(town: Town, ville3, ville25) -> None:
    for scenario in (ville3, ville25):
        check_places(scenario, town)
        for agent in scenario.agents:
            assert places.depth(town.resolve(agent.home)) == 3  # each has a room of its own
            assert town.use_tiles(agent.home)


def test_tile_and_address_lookups_agree(town: Town) -> None:
    for address, tiles in town.tiles.items():
        lookup = {1: None, 2: town.sector_at, 3: town.arena_at, 4: town.object_at}
        for tile in tiles:
            assert lookup[places.depth(address)](tile) == address
        assert address.startswith(town.world + ":")
    cafe = town.resolve("Hobbs Cafe:cafe:coffee machine")
    tile = town.tiles_of(cafe)[0]
    assert town.address_at(tile) == cafe
    assert town.sector_at(tile) == "the Ville:Hobbs Cafe"


def test_objects_can_be_used_from_walkable_tiles_in_their_room(town: Town) -> None:
    for address in town.tiles:
        if places.depth(address) != 4:
            continue
        use = town.use_tiles(address)
        assert use, f"nobody can reach {address}"
        arena = places.parent(address)
        for tile in use:
            assert town.walkable(tile)
            assert town.arena_at(tile) == arena


def test_unknown_places_are_named_with_a_suggestion(town: Town) -> None:
    with pytest.raises(UnknownPlace, match="Hobbs Cafe"):
        town.resolve("Hobbs Cafee")


def test_paths_join_every_pair_of_sector_entrances(town: Town, paths: PathFinder) -> None:
    doors = {s: town.entrances(s)[0] for s in town.sectors()}
    assert all(doors.values())
    for (a, start), (b, goal) in itertools.permutations(doors.items(), 2):
        path = paths.path(start, goal)
        assert path[-1] == goal, (a, b)
        previous = start
        for tile in path:
            assert tile not in town.blocked, f"{a} -> {b} crosses a blocked tile {tile}"
            assert abs(tile[0] - previous[0]) + abs(tile[1] - previous[1]) == 1
            previous = tile


def test_path_cache_returns_the_same_path(town: Town) -> None:
    finder = PathFinder(town)
    start, goal = town.entrances("Hobbs Cafe")[0], town.entrances("Town Hall")[0]
    first = finder.path(start, goal)
    second = finder.path(start, goal)
    assert first == second and (finder.searches, finder.hits) == (1, 1)
    second.append((0, 0))  # callers may consume their copy
    assert finder.path(start, goal) == first


def test_unreachable_targets_fail_fast_and_clearly(town: Town, paths: PathFinder) -> None:
    start = town.entrances("Hobbs Cafe")[0]
    wall = next(iter(town.blocked))
    with pytest.raises(Unreachable, match="blocked"):
        paths.path(start, wall)
    with pytest.raises(Unreachable, match="outside"):
        paths.path(start, (-5, 3))


def test_a_walled_off_room_is_unreachable(tmp_path: Path) -> None:
    # A 7x3 strip cut in two by a wall at x = 3: no search of the whole map is needed to know.
    blocked = frozenset({(3, 0), (3, 1), (3, 2)})
    n = 7 * 3
    small = Town(
        "w",
        7,
        3,
        32,
        tmp_path / "x.tmx",
        blocked,
        [None] * n,
        [None] * n,
        [None] * n,
        frozenset(),
        {},
    )
    finder = PathFinder(small)
    with pytest.raises(Unreachable, match="no walkable path"):
        finder.path((0, 0), (6, 2))
    assert finder.searches == 0
    assert finder.path((0, 0), (2, 2))[-1] == (2, 2)


def map_text(
    groups: str,
    width: int = 4,
    height: int = 4,
    blocked: frozenset[tuple[int, int]] = frozenset(),
    head: str = "",
) -> str:
    """A Tiled map in the layout the game reads; `head` goes before the layers (tilesets)."""
    cells = ",".join("1" if (x, y) in blocked else "0" for y in range(height) for x in range(width))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<map version="1.10" orientation="orthogonal" renderorder="right-down" width="{width}" '
        f'height="{height}" tilewidth="32" tileheight="32" infinite="0">\n{head}'
        f' <layer id="1" name="collision" width="{width}" height="{height}">'
        f'<data encoding="csv">\n{cells}\n</data></layer>\n{groups}</map>\n'
    )


def write_map(
    tmp_path: Path,
    groups: str,
    name: str = "bad.tmx",
    *,
    width: int = 4,
    height: int = 4,
    blocked: frozenset[tuple[int, int]] = frozenset(),
    head: str = "",
) -> Path:
    path = tmp_path / name
    path.write_text(map_text(groups, width, height, blocked, head))
    return path


def group(name: str, objects: str = "") -> str:
    return f' <objectgroup id="9" name="{name}">{objects}</objectgroup>\n'


def rect(oid: int, name: str, x: int, y: int, w: int, h: int) -> str:
    return (
        f'<object id="{oid}" name="{name}" x="{x * 32}" y="{y * 32}" width="{w * 32}" '
        f'height="{h * 32}"/>'
    )


def test_a_good_small_map_loads(tmp_path: Path) -> None:
    path = write_map(
        tmp_path,
        group("sectors", rect(1, "Home", 0, 0, 4, 4))
        + group("arenas", rect(2, "kitchen", 0, 0, 2, 2))
        + group("objects", rect(3, "stove", 0, 0, 1, 1))
        + group("spawns", rect(4, "spawn", 1, 1, 1, 1)),
    )
    small = load_town(path)
    assert small.resolve("Home:kitchen:stove") == "bad:Home:kitchen:stove"
    assert small.spawn_tile("Home") == (1, 1)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (group("sectors") + group("arenas") + group("objects"), "no layer named 'spawns'"),
        (
            group("sectors", rect(1, "A", 0, 0, 2, 2))
            + group("arenas", rect(2, "room", 1, 1, 3, 3))
            + group("objects")
            + group("spawns"),
            "inside exactly one sector",
        ),
        (
            group("sectors", rect(1, "A", 0, 0, 2, 2) + rect(2, "B", 1, 1, 2, 2))
            + group("arenas")
            + group("objects")
            + group("spawns"),
            "overlaps",
        ),
        (
            group("sectors", rect(1, "", 0, 0, 2, 2))
            + group("arenas")
            + group("objects")
            + group("spawns"),
            "needs a name",
        ),
        (
            group("sectors", rect(1, "A", 3, 3, 2, 2))
            + group("arenas")
            + group("objects")
            + group("spawns"),
            "outside the map",
        ),
    ],
)
def test_bad_maps_name_the_file_and_the_fault(tmp_path: Path, groups: str, message: str) -> None:
    with pytest.raises(MapError, match=message) as caught:
        load_town(write_map(tmp_path, groups))
    assert "bad.tmx" in str(caught.value)


def test_a_missing_or_garbled_map_is_a_map_error(tmp_path: Path) -> None:
    with pytest.raises(MapError, match="no such map"):
        load_town(tmp_path / "nothing.tmx")
    garbled = tmp_path / "garbled.tmx"
    garbled.write_text("<map><layer")
    with pytest.raises(MapError, match=r"garbled\.tmx"):
        load_town(garbled)


# -- maps a user brings: each mistake is a MapError naming the file (exit status 2), never a
# traceback from pytmx or pygame.

GOOD_GROUPS = (
    group("sectors", rect(1, "Home", 0, 0, 4, 4))
    + group("arenas", rect(2, "kitchen", 0, 0, 2, 2))
    + group("objects", rect(3, "stove", 0, 0, 1, 1))
    + group("spawns", rect(4, "spawn", 1, 1, 1, 1))
)


def test_a_missing_tileset_file_is_a_map_error(tmp_path: Path) -> None:
    head = ' <tileset firstgid="1" source="tiles/missing.tsx"/>\n'
    with pytest.raises(MapError, match=r"bad\.tmx: tileset 'tiles/missing\.tsx' not found"):
        load_town(write_map(tmp_path, GOOD_GROUPS, head=head))


def tileset(folder: Path, image: str) -> str:
    """An external tileset of one 32 px tile drawn from `image` (which need not exist)."""
    (folder / "one.tsx").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<tileset version="1.10" name="one" tilewidth="32" tileheight="32" tilecount="1" '
        f'columns="1">\n <image source="{image}" width="32" height="32"/>\n</tileset>\n'
    )
    return ' <tileset firstgid="1" source="one.tsx"/>\n'


def test_a_missing_tileset_image_runs_headless_and_the_window_names_it(tmp_path: Path) -> None:
    path = write_map(tmp_path, GOOD_GROUPS, head=tileset(tmp_path, "art/gone.png"))
    assert load_town(path).spawn_tile("Home") == (1, 1)  # headless needs no pictures
    assert missing_images(path) == [tmp_path / "art" / "gone.png"]
    from town.viewer.errors import ViewerError
    from town.viewer.sprites import MapPicture

    with pytest.raises(ViewerError, match=r"art/gone\.png.*--headless"):
        MapPicture(path)


def test_an_infinite_map_is_refused_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "endless.tmx"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<map version="1.10" orientation="orthogonal" renderorder="right-down" width="30" '
        'height="20" tilewidth="32" tileheight="32" infinite="1">\n'
        ' <layer id="1" name="collision" width="30" height="20"><data encoding="csv">'
        '<chunk x="0" y="0" width="2" height="1">0,0</chunk></data></layer>\n'
        + GOOD_GROUPS
        + "</map>\n"
    )
    with pytest.raises(MapError, match=r"endless\.tmx: .*infinite.*uncheck Infinite"):
        load_town(path)


@pytest.mark.parametrize("suffix", [".tmj", ".json"])
def test_a_tiled_json_map_is_refused_with_the_way_out(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"town{suffix}"
    path.write_text('{"type": "map", "infinite": false, "width": 4, "height": 4, "layers": []}')
    with pytest.raises(MapError, match=rf"town\{suffix}: .*JSON.*as \.tmx"):
        load_town(path)
    disguised = tmp_path / "town.tmx"  # JSON under a .tmx name: the same advice
    disguised.write_text(path.read_text())
    with pytest.raises(MapError, match=r"town\.tmx: .*JSON.*as \.tmx"):
        load_town(disguised)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            group("sectors", rect(1, "Home", 0, 0, 4, 4))
            + group("arenas")
            + group("objects")
            + group("spawns"),
            "the layer 'spawns' has no spawn point",
        ),
        (
            group("sectors", rect(1, "A", 0, 0, 2, 2))
            + group("arenas", rect(7, "shed", 2, 2, 2, 2))
            + group("objects")
            + group("spawns", rect(4, "spawn", 1, 1, 1, 1)),
            r"arenas object 7 \('shed'\) must lie inside exactly one sector; "
            "it lies outside every sector",
        ),
        (
            group("sectors", rect(1, "A", 0, 0, 2, 4) + rect(2, "B", 2, 0, 2, 4))
            + group("arenas", rect(7, "hall", 1, 1, 2, 2))
            + group("objects")
            + group("spawns", rect(4, "spawn", 1, 1, 1, 1)),
            r"arenas object 7 \('hall'\) .* it touches 2: 'A', 'B'",
        ),
        (
            group("sectors", rect(1, "A", 0, 0, 4, 4))
            + group("arenas", rect(2, "hall", 0, 0, 2, 2))
            + group("objects", rect(8, "lamp", 3, 3, 1, 1))
            + group("spawns", rect(4, "spawn", 1, 1, 1, 1)),
            r"objects object 8 \('lamp'\) .* it lies outside every arena",
        ),
        (
            group("sectors", rect(1, "Home", 0, 0, 4, 4))
            + group("arenas")
            + group("objects")
            + group("Spawn", rect(4, "spawn", 1, 1, 1, 1)),
            "no layer named 'spawns'; did you mean 'Spawn'",
        ),
    ],
)
def test_mistakes_pytmx_accepts_are_map_errors(tmp_path: Path, groups: str, message: str) -> None:
    with pytest.raises(MapError, match=message) as caught:
        load_town(write_map(tmp_path, groups))
    assert "bad.tmx" in str(caught.value)


def test_regions_flood_once_per_region(tmp_path: Path) -> None:
    # The walled strip of test_a_walled_off_room_is_unreachable, through a map file.
    wall = frozenset({(2, 0), (2, 1), (2, 2), (2, 3)})
    small = load_town(write_map(tmp_path, GOOD_GROUPS, blocked=wall))
    regions = Regions(small)
    assert regions.joined((0, 0), (1, 3)) and regions.joined((1, 1), (0, 2))
    assert regions.floods == 1  # every tile of the left part labelled by the first flood
    assert not regions.joined((0, 0), (3, 3))
    assert regions.of((2, 1)) is None and regions.of((9, 9)) is None
    assert regions.floods == 2
