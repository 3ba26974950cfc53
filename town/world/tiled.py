"""Load a town from a Tiled map (.tmx) with pytmx.

The map's layers: a tile layer `collision` (any tile there blocks walking) and the object
layers `sectors`, `arenas`, `objects` and `spawns`, whose rectangles name the places. An arena
belongs to the sector that contains it, an object to the arena that contains it, so the
place tree cannot disagree with the drawing. The other tile layers are only drawn.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytmx

from town.world import places
from town.world.errors import MapError
from town.world.town import Tile, Town

PLACE_LAYERS = ("sectors", "arenas", "objects", "spawns")


def load_town(path: str | Path) -> Town:
    path = Path(path)
    if not path.is_file():
        raise MapError(f"{path}: no such map file")
    try:
        tmx = pytmx.TiledMap(str(path))
    except (ParseError, ValueError, KeyError, OSError) as err:
        raise MapError(f"{path}: not a readable Tiled map ({err})") from err
    return _Builder(tmx, path).build()


class _Builder:
    def __init__(self, tmx: pytmx.TiledMap, path: Path) -> None:
        self.tmx, self.path = tmx, path
        self.width, self.height = int(tmx.width), int(tmx.height)
        self.size = int(tmx.tilewidth)
        self.world = str(tmx.properties.get("world", path.stem))

    def fail(self, message: str) -> MapError:
        return MapError(f"{self.path}: {message}")

    def layer(self, name: str) -> pytmx.TiledElement:
        try:
            return self.tmx.get_layer_by_name(name)
        except ValueError:
            raise self.fail(f"the map has no layer named {name!r}") from None

    def build(self) -> Town:
        if int(self.tmx.tileheight) != self.size:
            raise self.fail("tiles must be square")
        collision = self.layer("collision")
        if not isinstance(collision, pytmx.TiledTileLayer):
            raise self.fail("layer 'collision' must be a tile layer")
        blocked = frozenset((x, y) for x, y, gid in collision.iter_data() if gid)
        for name in PLACE_LAYERS:
            if not isinstance(self.layer(name), pytmx.TiledObjectGroup):
                raise self.fail(f"layer {name!r} must be an object layer")
        n = self.width * self.height
        sectors: list[str | None] = [None] * n
        public = set()
        for obj in self.layer("sectors"):
            address = places.join(self.world, self.name_of(obj, "sectors"))
            self.paint(sectors, obj, address, "sectors")
            if obj.properties.get("public"):
                public.add(address)
        arenas = self.nest(sectors, "arenas")
        objects = self.nest(arenas, "objects")
        spawns: dict[str, list[Tile]] = {}
        for obj in self.layer("spawns"):
            for tile in self.tiles_of(obj):
                owner = arenas[self.index(tile)] or sectors[self.index(tile)] or self.world
                if tile in blocked:
                    raise self.fail(f"spawn point (object {obj.id}) at {tile} is on a blocked tile")
                spawns.setdefault(owner, []).append(tile)
        return Town(
            world=self.world,
            width=self.width,
            height=self.height,
            tile_size=self.size,
            source=self.path,
            blocked=blocked,
            sector_grid=sectors,
            arena_grid=arenas,
            object_grid=objects,
            public_sectors=frozenset(public),
            spawn_tiles=spawns,
        )

    def nest(self, outer: list[str | None], layer: str) -> list[str | None]:
        """Paint a layer's rectangles, each inside exactly one place of the outer grid."""
        grid: list[str | None] = [None] * len(outer)
        for obj in self.layer(layer):
            name = self.name_of(obj, layer)
            owners = {outer[self.index(t)] for t in self.tiles_of(obj)}
            if len(owners) != 1 or None in owners:
                raise self.fail(
                    f"{layer} object {obj.id} ({name!r}) must lie inside exactly one "
                    f"{'sector' if layer == 'arenas' else 'arena'}; it touches {len(owners)}"
                )
            self.paint(grid, obj, places.join(owners.pop(), name), layer)
        return grid

    def paint(
        self, grid: list[str | None], obj: pytmx.TiledObject, address: str, layer: str
    ) -> None:
        for tile in self.tiles_of(obj):
            i = self.index(tile)
            if grid[i] not in (None, address):
                raise self.fail(
                    f"{layer} object {obj.id} ({places.last(address)!r}) overlaps "
                    f"{places.last(grid[i])!r} at tile {tile}"
                )
            grid[i] = address

    def name_of(self, obj: pytmx.TiledObject, layer: str) -> str:
        name = (obj.name or "").strip()
        if not name or places.SEP in name:
            raise self.fail(f"{layer} object {obj.id} needs a name without ':' (has {obj.name!r})")
        return name

    def tiles_of(self, obj: pytmx.TiledObject) -> list[Tile]:
        x0, y0 = math.floor(obj.x / self.size), math.floor(obj.y / self.size)
        x1 = max(x0 + 1, math.ceil((obj.x + obj.width) / self.size))
        y1 = max(y0 + 1, math.ceil((obj.y + obj.height) / self.size))
        if x0 < 0 or y0 < 0 or x1 > self.width or y1 > self.height:
            raise self.fail(f"object {obj.id} ({obj.name!r}) reaches outside the map")
        return [(x, y) for y in range(y0, y1) for x in range(x0, x1)]

    def index(self, tile: Tile) -> int:
        return tile[1] * self.width + tile[0]
