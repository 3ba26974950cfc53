"""Load a town from a Tiled map (.tmx) with pytmx.

The map's layers: a tile layer `collision` (any tile there blocks walking) and the object
layers `sectors`, `arenas`, `objects` and `spawns`, whose rectangles name the places. An arena
belongs to the sector that contains it, an object to the arena that contains it, so the
place tree cannot disagree with the drawing. The other tile layers are only drawn.

pytmx reads only fixed-size orthogonal .tmx maps with .tsx tilesets, and meets anything else
with a bare Exception or a parse error: such files are refused first, with a MapError that
says how to save them from Tiled.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from xml.etree import ElementTree
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
    _check_file(path, _parse(path))
    try:
        tmx = pytmx.TiledMap(str(path))
    except (ParseError, ValueError, KeyError, OSError) as err:
        raise MapError(f"{path}: not a readable Tiled map ({err})") from err
    except Exception as err:  # pytmx raises bare Exceptions for what it cannot read
        raise MapError(f"{path}: pytmx cannot read this map ({err or type(err).__name__})") from err
    return _Builder(tmx, path).build()


def missing_images(path: str | Path) -> list[Path]:
    """The pictures a map (one `load_town` accepted) draws with that are not there: tileset
    images, its .tsx files' included, and image layers. Only the window needs them."""
    path = Path(path)
    root = _parse(path)
    found = _images(root, path.parent)
    for tileset in root.findall("tileset"):
        if tileset.get("source"):
            tsx = path.parent / tileset.get("source", "")
            found += _images(_parse(tsx, of=path), tsx.parent)  # relative to the .tsx
    return [image for image in dict.fromkeys(found) if not image.is_file()]


def _parse(path: Path, of: Path | None = None) -> ElementTree.Element:
    """The XML of a map, or of a tileset `of` a map; JSON and garbage are MapErrors."""
    where = f"{of}: tileset {path.name!r}" if of else str(path)
    # pytmx reads only XML; Tiled saves either, so the way out is one dialog away.
    kind, suffix = ("tileset", ".tsx") if of else ("map", ".tmx")
    json = (
        f"a Tiled JSON {kind} cannot be loaded; save it as {suffix} from Tiled "
        f"(File > Save As, type 'Tiled {kind} files (*{suffix})')"
    )
    if path.suffix.lower() in (".tmj", ".tsj", ".json"):
        raise MapError(f"{where}: {json}")
    try:
        return ElementTree.parse(path).getroot()
    except ParseError as err:
        if path.read_bytes().lstrip()[:1] == b"{":  # JSON under another name
            raise MapError(f"{where}: {json}") from None
        raise MapError(f"{where}: not a readable Tiled {kind} ({err})") from None
    except OSError as err:
        raise MapError(f"{where}: cannot be read ({err})") from None


def _check_file(path: Path, root: ElementTree.Element) -> None:
    """What pytmx would refuse with a bare Exception (or not at all), said plainly."""
    if root.tag != "map":
        raise MapError(f"{path}: not a Tiled map (it holds a <{root.tag}>, not a <map>)")
    if root.get("infinite", "0") != "0":
        raise MapError(
            f"{path}: infinite maps are not supported (the town needs a fixed size); in Tiled, "
            "Map > Map Properties > uncheck Infinite, then save"
        )
    if root.get("orientation", "orthogonal") != "orthogonal":
        raise MapError(f"{path}: the map must be orthogonal, not {root.get('orientation')}")
    for tileset in root.findall("tileset"):
        source = tileset.get("source")
        if not source:
            continue  # embedded in the map
        tsx = path.parent / source
        if not tsx.is_file():
            raise MapError(f"{path}: tileset {source!r} not found (looked for {tsx})")
        _parse(tsx, of=path)
        if tsx.suffix.lower() != ".tsx":  # pytmx goes by the name
            raise MapError(f"{path}: tileset {source!r} must be a .tsx file")


def _images(root: ElementTree.Element, folder: Path) -> list[Path]:
    return [folder / image.get("source", "") for image in root.iter("image") if image.get("source")]


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
            pass
        # A layer renamed by mistake ('Spawn', 'sector') is the likeliest cause: name it.
        names = {str(layer.name).lower(): str(layer.name) for layer in self.tmx.layers}
        wanted = ("collision", *PLACE_LAYERS)  # those are right: never suggest one for another
        others = [n for n in names if names[n] not in wanted]
        close = difflib.get_close_matches(name.lower(), others, n=1)
        hint = (
            f"; did you mean {names[close[0]]!r}? (rename the layer in Tiled)"
            if close
            else f"; its layers are {', '.join(map(repr, names.values())) or 'none'}"
        )
        raise self.fail(f"the map has no layer named {name!r}{hint}")

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
        if not spawns:  # agents would start wherever their home's first free tile happens to be
            raise self.fail(
                "the layer 'spawns' has no spawn point; draw a rectangle there in each home, "
                "where its people start"
            )
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
                kind = "sector" if layer == "arenas" else "arena"
                inside = sorted(self.short(o) for o in owners if o is not None)
                if not inside:
                    where = f"it lies outside every {kind}"
                elif len(inside) == 1:
                    where = f"it reaches outside {inside[0]!r}"
                else:
                    where = f"it touches {len(inside)}: {', '.join(map(repr, inside))}"
                raise self.fail(
                    f"{layer} object {obj.id} ({name!r}) must lie inside exactly one {kind}; "
                    + where
                )
            self.paint(grid, obj, places.join(owners.pop(), name), layer)
        return grid

    def short(self, address: str) -> str:
        """An address without the world, as a map author names it: 'Home:kitchen'."""
        return address.removeprefix(self.world + places.SEP)

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
