"""`town check MAP_OR_SCENARIO`: is a map (.tmx), or a scenario (.toml) and its map, fit to
run? Everything `town run` checks before its first tick, without running anything.

Prints OK with what it found and what it checked (exit status 0), or the `error:` lines of
`town run` (exit status 2: the command line prints MapError and ScenarioError). What only
the window needs, the tileset images, is a warning: a headless run goes without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from town.scenario import check_places, load_scenario
from town.world import places
from town.world.paths import Regions
from town.world.tiled import PLACE_LAYERS, load_town, missing_images
from town.world.town import Town

MAP_CHECKS = (
    f"the file and its tilesets; the layers collision, {', '.join(PLACE_LAYERS)}; every "
    "rectangle named, on the map and inside one place; spawn tiles on walkable ground"
)
SCENARIO_CHECKS = (
    "the scenario's fields and times; every place it names; each agent's spawn tile, home "
    "(its bed) and workplace reachable from one another"
)


def add_map_check_command(commands: argparse._SubParsersAction) -> None:
    """`town check PATH`, under the `town` command's subparsers."""
    check = commands.add_parser(
        "check",
        help="check a map or a scenario without running it",
        description="Load a map (.tmx), or a scenario (.toml) and its map, and check "
        "everything a run would: the layers and places of the map, the places the scenario "
        "names, and that every agent's home, workplace and spawn tile are reachable. Prints "
        "a summary, or the errors (exit status 2).",
    )
    check.add_argument("path", type=Path, help="a map (.tmx) or a scenario (.toml)")
    check.set_defaults(command=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    path: Path = args.path
    if path.suffix.lower() == ".toml":
        scenario = load_scenario(path)
        town = load_town(scenario.map_path)
        check_places(scenario, town)
        print(
            f"OK: {path}: {_n(len(scenario.agents), 'agent')}, "
            f"{scenario.town.start:%Y-%m-%d %H:%M} to {scenario.end:%Y-%m-%d %H:%M}, "
            f"{_n(len(scenario.events), 'event')}, {_n(len(scenario.facts), 'fact')}"
        )
        print(f"map: {town.source}: {describe(town)}")
        print(f"checked: {SCENARIO_CHECKS}")
    else:
        town = load_town(path)
        print(f"OK: {path}: {describe(town)}")
    print(f"checked on the map: {MAP_CHECKS}")
    for warning in warnings(town):
        print(f"warning: {town.source}: {warning}", file=sys.stderr)
    return 0


def describe(town: Town) -> str:
    depths = [places.depth(address) for address in town.tiles]
    return (
        f"{town.world!r}, {town.width}x{town.height} tiles of {town.tile_size} px: "
        f"{_n(depths.count(2), 'sector')} ({len(town.public_sectors)} public), "
        f"{_n(depths.count(3), 'arena')}, {_n(depths.count(4), 'object')}, "
        f"{_n(len(town.all_spawns), 'spawn tile')}"
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def warnings(town: Town) -> list[str]:
    """What does not stop a run but is likely a mistake."""
    found = [
        f"the tileset image {image} is missing: the window cannot draw the map "
        "(a --headless run needs no pictures)"
        for image in missing_images(town.source)
    ]
    regions = Regions(town)
    first, *rest = town.all_spawns
    apart = [tile for tile in rest if not regions.joined(first, tile)]
    if apart:  # agents starting there could never meet the others
        found.append(
            f"no walkable path joins the spawn tiles {first} and {apart[0]} "
            f"({len(apart)} of {len(rest) + 1} are cut off from the first)"
        )
    return found
