"""Which part of the map the window shows, and how big: pan, zoom in steps, follow someone.

World coordinates are map pixels at zoom 1 (a tile is `tile_size` of them). The zoom goes in
steps whose tiles are a whole number of screen pixels, so tiles, sprites and the cached map
line up exactly at every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ZOOMS = (0.25, 0.375, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
DEFAULT_ZOOM = ZOOMS.index(1.0)


@dataclass
class Camera:
    world_w: int  # the map in world pixels
    world_h: int
    view_x: int  # the map's area on screen
    view_y: int
    view_w: int
    view_h: int
    x: float = 0.0  # the world point at the middle of the view
    y: float = 0.0
    level: int = DEFAULT_ZOOM
    # Someone the window keeps in the middle until anything else moves the view (a pan, a
    # centre_on, a pick): who it opens on. The window moves it there with `follow`.
    watching: str | None = None

    @property
    def zoom(self) -> float:
        return ZOOMS[self.level]

    def origin(self) -> tuple[int, int]:
        """Where world (0, 0) lands on screen: whole pixels, so nothing shimmers."""
        zoom = self.zoom
        return (
            self.view_x + round(self.view_w / 2 - self.x * zoom),
            self.view_y + round(self.view_h / 2 - self.y * zoom),
        )

    def to_screen(self, wx: float, wy: float) -> tuple[int, int]:
        ox, oy = self.origin()
        return ox + round(wx * self.zoom), oy + round(wy * self.zoom)

    def to_world(self, sx: float, sy: float) -> tuple[float, float]:
        ox, oy = self.origin()
        return (sx - ox) / self.zoom, (sy - oy) / self.zoom

    def tile_at(self, sx: float, sy: float, tile_size: int) -> tuple[int, int]:
        wx, wy = self.to_world(sx, sy)
        return math.floor(wx / tile_size), math.floor(wy / tile_size)

    def in_view(self, sx: float, sy: float) -> bool:
        return (
            self.view_x <= sx < self.view_x + self.view_w
            and self.view_y <= sy < self.view_y + self.view_h
        )

    def visible(self) -> tuple[float, float, float, float]:
        """The world rectangle on screen: left, top, right, bottom."""
        left, top = self.to_world(self.view_x, self.view_y)
        right, bottom = self.to_world(self.view_x + self.view_w, self.view_y + self.view_h)
        return left, top, right, bottom

    def center_on(self, wx: float, wy: float) -> None:
        """Look at (wx, wy), and at nobody in particular: whoever was watched is left."""
        self.watching = None
        self.follow(wx, wy)

    def follow(self, wx: float, wy: float) -> None:
        """Centre on where the one watched now is, still watching them."""
        self.x, self.y = wx, wy
        self.clamp()

    def pan(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) screen pixels (a drag to the right shows more left)."""
        self.watching = None
        self.x -= dx / self.zoom
        self.y -= dy / self.zoom
        self.clamp()

    def zoom_by(self, steps: int, sx: float | None = None, sy: float | None = None) -> bool:
        """Zoom in (steps > 0) or out around a screen point (default: the view's middle),
        which stays over the same spot of the map. False if already at the last step."""
        level = min(max(self.level + steps, 0), len(ZOOMS) - 1)
        if level == self.level:
            return False
        if sx is None or sy is None:
            sx, sy = self.view_x + self.view_w / 2, self.view_y + self.view_h / 2
        wx, wy = self.to_world(sx, sy)
        self.level = level
        # Keep (wx, wy) under (sx, sy): solve for the new middle.
        self.x = wx - (sx - self.view_x - self.view_w / 2) / self.zoom
        self.y = wy - (sy - self.view_y - self.view_h / 2) / self.zoom
        self.clamp()
        return True

    def resize(self, view_x: int, view_y: int, view_w: int, view_h: int) -> None:
        self.view_x, self.view_y, self.view_w, self.view_h = view_x, view_y, view_w, view_h
        self.clamp()

    def clamp(self) -> None:
        """Keep the map on screen: centred when smaller than the view, else filling it."""
        half_w, half_h = self.view_w / 2 / self.zoom, self.view_h / 2 / self.zoom
        if self.world_w <= 2 * half_w:
            self.x = self.world_w / 2
        else:
            self.x = min(max(self.x, half_w), self.world_w - half_w)
        if self.world_h <= 2 * half_h:
            self.y = self.world_h / 2
        else:
            self.y = min(max(self.y, half_h), self.world_h - half_h)
