"""The world: the Tiled map, the place tree, object states, collision and path finding."""

from town.world.errors import MapError, UnknownPlace, Unreachable
from town.world.events import Event
from town.world.objects import IDLE, ObjectStates
from town.world.paths import PathFinder
from town.world.tiled import load_town
from town.world.town import Tile, Town

__all__ = [
    "IDLE",
    "Event",
    "MapError",
    "ObjectStates",
    "PathFinder",
    "Tile",
    "Town",
    "UnknownPlace",
    "Unreachable",
    "load_town",
]
