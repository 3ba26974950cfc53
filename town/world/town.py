"""The static town: its grid, collision and the place tree, with look-ups both ways
(tile -> address and address -> tiles). What changes over time lives elsewhere."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from town.world import places
from town.world.errors import UnknownPlace

Tile = tuple[int, int]
NEIGHBOURS = ((1, 0), (-1, 0), (0, 1), (0, -1))


@dataclass
class Town:
    world: str  # the root of every address, e.g. "the Ville"
    width: int
    height: int
    tile_size: int
    source: Path
    blocked: frozenset[Tile]
    # Per tile (index y * width + x): the full address of its sector, arena and object, if any.
    sector_grid: list[str | None]
    arena_grid: list[str | None]
    object_grid: list[str | None]
    public_sectors: frozenset[str]
    spawn_tiles: dict[str, list[Tile]]  # arena address -> tiles
    tiles: dict[str, list[Tile]] = field(init=False)
    children: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.tiles = {}
        for grid in (self.sector_grid, self.arena_grid, self.object_grid):
            for i, address in enumerate(grid):
                if address is not None:
                    self.tiles.setdefault(address, []).append((i % self.width, i // self.width))
        self.children = {self.world: []}
        for address in sorted(self.tiles, key=places.depth):
            siblings = self.children.setdefault(places.parent(address), [])
            siblings.append(address)
            self.children.setdefault(address, [])
        for kids in self.children.values():
            kids.sort()
        self._use_tiles: dict[str, list[Tile]] = {}

    def __repr__(self) -> str:
        return f"Town({self.world!r}, {self.width}x{self.height}, {self.source.name})"

    # -- the grid ---------------------------------------------------------------------------

    def in_bounds(self, tile: Tile) -> bool:
        return 0 <= tile[0] < self.width and 0 <= tile[1] < self.height

    def walkable(self, tile: Tile) -> bool:
        return self.in_bounds(tile) and tile not in self.blocked

    def walkable_tiles(self) -> Iterator[Tile]:
        for y in range(self.height):
            for x in range(self.width):
                if (x, y) not in self.blocked:
                    yield (x, y)

    def neighbours(self, tile: Tile) -> Iterator[Tile]:
        x, y = tile
        for dx, dy in NEIGHBOURS:
            if self.walkable((x + dx, y + dy)):
                yield (x + dx, y + dy)

    # -- tile -> address ----------------------------------------------------------------------

    def _at(self, grid: list[str | None], tile: Tile) -> str | None:
        if not self.in_bounds(tile):
            raise UnknownPlace(f"tile {tile} is outside the {self.width}x{self.height} map")
        return grid[tile[1] * self.width + tile[0]]

    def sector_at(self, tile: Tile) -> str | None:
        return self._at(self.sector_grid, tile)

    def arena_at(self, tile: Tile) -> str | None:
        return self._at(self.arena_grid, tile)

    def object_at(self, tile: Tile) -> str | None:
        return self._at(self.object_grid, tile)

    def address_at(self, tile: Tile) -> str:
        """The deepest place containing the tile."""
        return self.object_at(tile) or self.arena_at(tile) or self.sector_at(tile) or self.world

    # -- address -> tiles ---------------------------------------------------------------------

    def resolve(self, name: str) -> str:
        """A full address from a full one or one without the world ('Hobbs Cafe:cafe')."""
        for candidate in (name, places.join(self.world, name)):
            if candidate in self.tiles:
                return candidate
        known = [a.removeprefix(self.world + places.SEP) for a in self.tiles]
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownPlace(f"no place {name!r} on the map {self.source.name}{hint}")

    def tiles_of(self, address: str) -> list[Tile]:
        return self.tiles[self.resolve(address)]

    def use_tiles(self, address: str) -> list[Tile]:
        """Where an agent stands to use a place: the walkable tiles of it or, for a solid
        object such as a stove, the walkable tiles beside it in the same arena."""
        address = self.resolve(address)
        if address not in self._use_tiles:
            self._use_tiles[address] = self._compute_use_tiles(address)
        return self._use_tiles[address]

    def _compute_use_tiles(self, address: str) -> list[Tile]:
        own = self.tiles[address]
        free = [t for t in own if t not in self.blocked]
        if free or places.depth(address) < 4:
            return free
        arena = self.arena_at(own[0])
        beside = {
            n for t in own for n in self.neighbours(t) if n not in own and self.arena_at(n) == arena
        }
        return sorted(beside)

    # -- the place tree -----------------------------------------------------------------------

    def sectors(self) -> list[str]:
        return self.children[self.world]

    def arenas(self, sector: str) -> list[str]:
        return self.children[self.resolve(sector)]

    def objects(self, arena: str) -> list[str]:
        return self.children[self.resolve(arena)]

    def descendants(self, address: str) -> Iterator[str]:
        for child in self.children[self.resolve(address)]:
            yield child
            yield from self.descendants(child)

    def entrances(self, sector: str) -> list[Tile]:
        """Walkable tiles of a sector with a walkable neighbour outside it: its doors."""
        sector = self.resolve(sector)
        return [
            t
            for t in self.tiles[sector]
            if t not in self.blocked
            and any(self.sector_at(n) != sector for n in self.neighbours(t))
        ]

    def spawn_tile(self, address: str) -> Tile:
        """A tile to put a new agent on: a spawn point of the place (or of a room inside it)."""
        address = self.resolve(address)
        for arena in [address, *self.descendants(address)]:
            if self.spawn_tiles.get(arena):
                return self.spawn_tiles[arena][0]
        free = self.use_tiles(address)
        if not free:
            raise UnknownPlace(f"{address!r} has no walkable tile to stand on")
        return free[0]

    @cached_property
    def all_spawns(self) -> list[Tile]:
        return sorted(t for tiles in self.spawn_tiles.values() for t in tiles)
