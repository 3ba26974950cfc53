"""The drawing board of a town: tile layers, collision and the named rectangles of places.

A building is a rectangle of walls split into a back row and a front row of rooms (arenas);
rooms get doors to the front row, the front row chains its rooms and opens onto the street.
Furniture is placed along walls or in the middle of a room, never so that it cuts a room in
two or hides an object that must be reached.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

Tile = tuple[int, int]

# Furniture an agent stands or lies on; everything else blocks and is used from beside it.
WALKABLE_FURNITURE = {"bed_head", "bed_foot", "chair", "sofa", "armchair", "bench", "garden_plot"}


@dataclass(frozen=True)
class Rect:
    x0: int
    y0: int
    x1: int  # inclusive
    y1: int  # inclusive

    def tiles(self) -> list[Tile]:
        return [(x, y) for y in range(self.y0, self.y1 + 1) for x in range(self.x0, self.x1 + 1)]

    def contains(self, t: Tile) -> bool:
        return self.x0 <= t[0] <= self.x1 and self.y0 <= t[1] <= self.y1

    @property
    def width(self) -> int:
        return self.x1 - self.x0 + 1

    @property
    def height(self) -> int:
        return self.y1 - self.y0 + 1


@dataclass(frozen=True)
class Item:
    """A piece of furniture: the game object it belongs to and its tiles, row by row."""

    object: str
    pattern: tuple[tuple[str, ...], ...]
    where: str = "wall"  # "wall": against a wall; "middle": free-standing
    count: int = 1


def item(obj: str, *rows: str, where: str = "wall", count: int = 1) -> Item:
    return Item(obj, tuple(tuple(r.split()) for r in rows), where, count)


@dataclass
class Placed:
    layer: str  # sectors, arenas, objects, spawns
    name: str
    rect: Rect
    properties: dict[str, str] = field(default_factory=dict)


class TownPlan:
    def __init__(self, width: int, height: int, seed: int = 7) -> None:
        self.width, self.height = width, height
        self.rng = random.Random(seed)
        self.ground: dict[Tile, str] = {}
        self.walls: dict[Tile, str] = {}
        self.furniture: dict[Tile, str] = {}
        self.blocked: set[Tile] = set()
        self.places: list[Placed] = []
        self.reserved: set[Tile] = set()  # streets, paths, buildings: no trees here
        self.warnings: list[str] = []

    # -- painting -----------------------------------------------------------------------------

    def paint(self, rect: Rect, tile: str) -> None:
        for t in rect.tiles():
            self.ground[t] = tile

    def wall(self, t: Tile, tile: str = "wall") -> None:
        self.walls[t] = tile
        self.blocked.add(t)

    def put(self, t: Tile, tile: str) -> None:
        self.furniture[t] = tile
        if tile not in WALKABLE_FURNITURE:
            self.blocked.add(t)

    def name(self, layer: str, name: str, rect: Rect, **props: str) -> None:
        self.places.append(Placed(layer, name, rect, dict(props)))

    # -- buildings ----------------------------------------------------------------------------

    def building(
        self,
        sector: str,
        box: Rect,
        front: list[tuple[str, int]],
        back: list[tuple[str, int]] | None = None,
        back_depth: int = 5,
        door: str = "down",
        entry: int = 0,
        public: bool = False,
    ) -> dict[str, Rect]:
        """Walls, rooms and doors of one building; returns the rooms by arena name."""
        props = {"public": "true"} if public else {}
        self.name("sectors", sector, box, **props)
        self.reserved.update(box.tiles())
        for t in box.tiles():
            if not Rect(box.x0 + 1, box.y0 + 1, box.x1 - 1, box.y1 - 1).contains(t):
                self.wall(t)
        inner = Rect(box.x0 + 1, box.y0 + 1, box.x1 - 1, box.y1 - 1)
        if back:
            split = inner.y0 + back_depth if door == "down" else inner.y1 - back_depth
            back_band = (
                Rect(inner.x0, inner.y0, inner.x1, split - 1)
                if door == "down"
                else Rect(inner.x0, split + 1, inner.x1, inner.y1)
            )
            front_band = (
                Rect(inner.x0, split + 1, inner.x1, inner.y1)
                if door == "down"
                else Rect(inner.x0, inner.y0, inner.x1, split - 1)
            )
            for x in range(inner.x0, inner.x1 + 1):
                self.wall((x, split))
        else:
            front_band, back_band, split = inner, None, None
        front_rooms = self._row(front_band, front)
        rooms = dict(front_rooms)
        if back_band is not None and back and split is not None:
            back_rooms = self._row(back_band, back)
            rooms.update(back_rooms)
            for rect in back_rooms.values():
                self._door_through_row(rect, split, front_band)
        for a in list(front_rooms.values())[:-1]:
            self.open_door((a.x1 + 1, (a.y0 + a.y1) // 2))
        gate = list(front_rooms.values())[entry]
        gx = (gate.x0 + gate.x1) // 2
        self.open_door((gx, box.y1 if door == "down" else box.y0))
        for arena, rect in rooms.items():
            self.name("arenas", arena, rect)
        self._windows(box)
        return rooms

    def _row(self, band: Rect, rooms: list[tuple[str, int]]) -> dict[str, Rect]:
        """Split a band into rooms side by side, widths by weight, walls between."""
        free = band.width - (len(rooms) - 1)
        total = sum(w for _, w in rooms)
        widths = [max(2, free * w // total) for _, w in rooms]
        widths[0] += free - sum(widths)
        out, x = {}, band.x0
        for (arena, _), w in zip(rooms, widths, strict=True):
            out[arena] = Rect(x, band.y0, x + w - 1, band.y1)
            x += w
            if x <= band.x1:
                for y in range(band.y0, band.y1 + 1):
                    self.wall((x, y))
                x += 1
        return out

    def _door_through_row(self, room: Rect, wall_y: int, front: Rect) -> None:
        xs = sorted(range(room.x0, room.x1 + 1), key=lambda x: abs(x - (room.x0 + room.x1) / 2))
        beyond = wall_y + 1 if front.y0 > wall_y else wall_y - 1
        for x in xs:
            if (x, beyond) not in self.walls:
                self.open_door((x, wall_y))
                return
        self.warnings.append(f"no door from {room} through row {wall_y}")

    def open_door(self, t: Tile) -> None:
        self.walls.pop(t, None)
        self.blocked.discard(t)
        self.ground[t] = "door"

    def _windows(self, box: Rect) -> None:
        """Every third tile of the front and back walls is a window, except beside a door
        or where an inner wall meets the outer one."""
        for y, inward in ((box.y0, 1), (box.y1, -1)):
            for x in range(box.x0 + 2, box.x1 - 1, 3):
                if self.walls.get((x, y)) != "wall" or (x, y + inward) in self.walls:
                    continue
                if any(self.ground.get((x + d, y)) == "door" for d in (-1, 0, 1)):
                    continue
                self.walls[(x, y)] = "window"

    # -- furniture ----------------------------------------------------------------------------

    def furnish(self, room: Rect, arena: str, items: list[Item], floor: str) -> None:
        self.paint(room, floor)
        rng = random.Random(f"{arena}:{room}")
        keep_clear = {
            t for t in room.tiles() if any(self.ground.get(d) == "door" for d in _around(t))
        }
        objects: list[set[Tile]] = []
        for it in items:
            for _ in range(it.count):
                if not self._place(room, arena, it, rng, keep_clear, objects):
                    self.warnings.append(f"{arena} {room}: no room for {it.object}")

    def _place(
        self,
        room: Rect,
        arena: str,
        it: Item,
        rng: random.Random,
        keep_clear: set[Tile],
        objects: list[set[Tile]],
    ) -> bool:
        h, w = len(it.pattern), len(it.pattern[0])
        spots = [
            (x, y) for y in range(room.y0, room.y1 - h + 2) for x in range(room.x0, room.x1 - w + 2)
        ]
        rng.shuffle(spots)

        def touches_wall(x: int, y: int) -> bool:
            return x == room.x0 or y == room.y0 or x + w - 1 == room.x1 or y + h - 1 == room.y1

        if it.where == "wall":
            spots = [s for s in spots if touches_wall(*s)]
        else:
            spots = [s for s in spots if not touches_wall(*s)]
        taken = {t for o in objects for t in o}
        for x, y in spots:
            cells = {(x + i, y + j): it.pattern[j][i] for j in range(h) for i in range(w)}
            if any(c in taken or c in keep_clear for c in cells):
                continue
            if it.where == "middle" and any(
                n in taken for c in cells for n in _around(c) if n not in cells
            ):
                continue  # keep free-standing pieces apart so aisles stay open
            solid = {c for c, name in cells.items() if name not in WALKABLE_FURNITURE}
            if not self._still_walkable(room, solid, [*objects, set(cells)]):
                continue
            for c, name in cells.items():
                self.put(c, name)
            objects.append(set(cells))
            xs = [c[0] for c in cells]
            ys = [c[1] for c in cells]
            self.name("objects", it.object, Rect(min(xs), min(ys), max(xs), max(ys)))
            return True
        return False

    def _still_walkable(self, room: Rect, solid: set[Tile], objects: list[set[Tile]]) -> bool:
        """All floor of the room stays one piece, and every object can be reached."""
        blocked = {t for t in room.tiles() if t in self.blocked} | solid
        floor = [t for t in room.tiles() if t not in blocked]
        if not floor:
            return False
        seen = {floor[0]}
        todo = deque([floor[0]])
        while todo:
            t = todo.popleft()
            for n in _around(t):
                if room.contains(n) and n not in blocked and n not in seen:
                    seen.add(n)
                    todo.append(n)
        if len(seen) != len(floor):
            return False
        for obj in objects:
            usable = {c for c in obj if c not in blocked} or {
                n for c in obj for n in _around(c) if room.contains(n) and n not in blocked
            }
            if not usable:
                return False
        return True

    def spawn(self, arena_rect: Rect, near: str = "bed_head") -> None:
        """A spawn point on each bed of the room (or on its first free tile)."""
        beds = [t for t in arena_rect.tiles() if self.furniture.get(t) == near]
        spots = beds or [t for t in arena_rect.tiles() if t not in self.blocked][:1]
        for t in spots:
            self.name("spawns", "spawn", Rect(t[0], t[1], t[0], t[1]))


def _around(t: Tile) -> list[Tile]:
    x, y = t
    return [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)]
