"""Path finding: A* on a networkx grid graph of the walkable tiles, with a cache.

Connected components are computed once, so a target that cannot be reached is refused at
once instead of after a search of the whole town.
"""

from __future__ import annotations

import time
from collections import OrderedDict

import networkx as nx

from town.world.errors import Unreachable
from town.world.town import Tile, Town


def manhattan(a: Tile, b: Tile) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


class PathFinder:
    def __init__(self, town: Town, cache_size: int = 20_000) -> None:
        self.town = town
        self.graph = nx.Graph()
        for tile in town.walkable_tiles():
            self.graph.add_node(tile)
            x, y = tile
            for other in ((x - 1, y), (x, y - 1)):
                if town.walkable(other):
                    self.graph.add_edge(other, tile)
        self.component: dict[Tile, int] = {}
        for i, nodes in enumerate(nx.connected_components(self.graph)):
            self.component.update(dict.fromkeys(nodes, i))
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[Tile, Tile], tuple[Tile, ...]] = OrderedDict()
        self.searches = 0
        self.hits = 0
        self.search_seconds = 0.0

    def reachable(self, start: Tile, goal: Tile) -> bool:
        a, b = self.component.get(start), self.component.get(goal)
        return a is not None and a == b

    def path(self, start: Tile, goal: Tile) -> list[Tile]:
        """The tiles to step on from `start` to `goal`: without start, ending with goal."""
        if start == goal:
            return []
        key = (start, goal)
        cached = self._cache.get(key)
        if cached is not None:
            self.hits += 1
            self._cache.move_to_end(key)
            return list(cached)
        for end, name in ((start, "start"), (goal, "goal")):
            if end not in self.component:
                why = "outside the map" if not self.town.in_bounds(end) else "a blocked tile"
                raise Unreachable(f"the {name} {end} is {why}")
        if not self.reachable(start, goal):
            raise Unreachable(f"no walkable path joins {start} and {goal}")
        began = time.perf_counter()
        steps = tuple(nx.astar_path(self.graph, start, goal, heuristic=manhattan)[1:])
        self.search_seconds += time.perf_counter() - began
        self.searches += 1
        self._cache[key] = steps
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return list(steps)

    def path_to_nearest(self, start: Tile, goals: list[Tile]) -> list[Tile]:
        """A path to the reachable goal nearest as the crow flies (ties: first in the list)."""
        reachable = [g for g in goals if self.reachable(start, g)]
        if not reachable:
            raise Unreachable(f"none of {len(goals)} target tiles can be reached from {start}")
        return self.path(start, min(reachable, key=lambda g: manhattan(start, g)))


class Regions:
    """Which walkable tiles a path joins, found by flood fill from the first tile asked about
    in each region: checking that many places are joined costs a flood per region (one, on a
    good map), not a path search per pair, and no graph of the whole town."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self._region: dict[Tile, int] = {}
        self.floods = 0

    def of(self, tile: Tile) -> int | None:
        """The region of a walkable tile; None for a blocked tile or one outside the map."""
        if tile not in self._region:
            if not self.town.walkable(tile):
                return None
            self._flood(tile)
        return self._region[tile]

    def joined(self, a: Tile, b: Tile) -> bool:
        region = self.of(a)
        return region is not None and region == self.of(b)

    def _flood(self, start: Tile) -> None:
        label = self.floods
        self.floods += 1
        self._region[start] = label
        todo = [start]
        while todo:
            for tile in self.town.neighbours(todo.pop()):
                if tile not in self._region:
                    self._region[tile] = label
                    todo.append(tile)
