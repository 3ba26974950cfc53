"""The pictures: the map drawn once from its Tiled tilesets, and the people's sprite sheets,
each kept ready at every zoom step it has been shown at.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pygame
import pytmx
from pytmx.util_pygame import load_pygame

from town.scenario import ASSETS
from town.viewer.camera import Camera
from town.viewer.errors import ViewerError
from town.world.tiled import missing_images

NOT_DRAWN = frozenset({"collision"})  # tile layers that are data, not pictures
# Sprite sheets: 3 columns (step with the left foot, stand, step with the right) by 4 rows.
ROWS = {"down": 0, "left": 1, "right": 2, "up": 3}
STAND = 1
WALK_CYCLE = (0, 1, 2, 1)
GENERIC_SPRITES = 16  # villager_00.png ... villager_15.png, for people without their own


class MapPicture:
    """The static layers of the map (ground, walls, furniture) in one surface, and copies
    scaled to the zoom steps below 1 (made once each: a few tens of ms). Above 1, only the
    visible part is scaled, each frame: cheaper than keeping a picture four times the map."""

    def __init__(self, tmx_path: Path) -> None:
        tmx = _load_with_images(tmx_path)
        self.tile_size = int(tmx.tilewidth)
        self.width = int(tmx.width) * self.tile_size
        self.height = int(tmx.height) * self.tile_size
        self.base = pygame.Surface((self.width, self.height)).convert()
        self.base.fill((40, 44, 52))
        for layer in tmx.visible_layers:
            if not hasattr(layer, "tiles") or layer.name in NOT_DRAWN:
                continue
            for x, y, image in layer.tiles():
                self.base.blit(image, (x * self.tile_size, y * self.tile_size))
        self._scaled: dict[float, pygame.Surface] = {1.0: self.base}

    def scaled(self, zoom: float) -> pygame.Surface:
        if zoom not in self._scaled:
            size = (round(self.width * zoom), round(self.height * zoom))
            self._scaled[zoom] = pygame.transform.smoothscale(self.base, size)
        return self._scaled[zoom]

    def draw(self, surface: pygame.Surface, camera: Camera) -> None:
        zoom = camera.zoom
        ox, oy = camera.origin()
        clip = surface.get_clip()
        surface.set_clip(pygame.Rect(camera.view_x, camera.view_y, camera.view_w, camera.view_h))
        if zoom <= 1.0:
            surface.blit(self.scaled(zoom), (ox, oy))
        else:
            self._draw_magnified(surface, camera, ox, oy)
        surface.set_clip(clip)

    def _draw_magnified(self, surface: pygame.Surface, camera: Camera, ox: int, oy: int) -> None:
        zoom, tile = camera.zoom, self.tile_size
        left, top, right, bottom = camera.visible()
        # Whole tiles, so the scaled part lands on whole screen pixels at every zoom step.
        x0 = max(int(left // tile) * tile, 0)
        y0 = max(int(top // tile) * tile, 0)
        x1 = min((int(right // tile) + 1) * tile, self.width)
        y1 = min((int(bottom // tile) + 1) * tile, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        part = self.base.subsurface(pygame.Rect(x0, y0, x1 - x0, y1 - y0))
        size = (round((x1 - x0) * zoom), round((y1 - y0) * zoom))
        at = (ox + round(x0 * zoom), oy + round(y0 * zoom))
        surface.blit(pygame.transform.scale(part, size), at)

    def prepare(self, zooms: tuple[float, ...]) -> None:
        for zoom in zooms:
            if zoom < 1.0:
                self.scaled(zoom)


def check_images(tmx_path: Path) -> None:
    """A ViewerError naming a picture of the map that is missing: the map itself loaded (a
    headless run needs no pictures), so only the window can fail here."""
    missing = missing_images(tmx_path)
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ViewerError(
            f"{tmx_path}: cannot draw the map: the tileset image {missing[0]} is missing{more}; "
            "fix the tileset's image path in Tiled, or run with --headless"
        )


def _load_with_images(tmx_path: Path) -> pytmx.TiledMap:
    """The map with its pictures, or a ViewerError naming what is wrong with them."""
    check_images(tmx_path)
    try:
        return load_pygame(str(tmx_path))
    except (OSError, pygame.error) as err:  # a picture that is there but unreadable
        raise ViewerError(
            f"{tmx_path}: cannot draw the map ({err}); fix its tilesets, or run with --headless"
        ) from err


def sprite_path(name: str, sprite: str | None = None, folder: Path | None = None) -> Path:
    """A person's sheet: the scenario's choice, else their own, else a villager's chosen
    by name (the same every run: a checksum, not Python's salted hash)."""
    folder = folder or ASSETS / "sprites"
    if sprite:
        return folder / sprite
    own = folder / (name.lower().replace(" ", "_") + ".png")
    if own.is_file():
        return own
    return folder / f"villager_{zlib.crc32(name.encode()) % GENERIC_SPRITES:02d}.png"


class SpriteSheets:
    """Sprite frames by person, facing, step and zoom; each scaled once."""

    def __init__(self, tile_size: int, folder: Path | None = None) -> None:
        self.tile_size = tile_size
        self.folder = folder
        self._sheets: dict[Path, pygame.Surface] = {}
        self._frames: dict[tuple[Path, float], list[list[pygame.Surface]]] = {}
        self._paths: dict[str, Path] = {}
        self._portraits: dict[tuple[Path, int], pygame.Surface] = {}

    def register(self, name: str, sprite: str | None = None) -> None:
        """Load someone's sheet now (a first load in the middle of a frame would show)."""
        path = sprite_path(name, sprite, self.folder)
        self._paths[name] = path
        self._sheet(path)

    def prepare(self, zoom: float) -> None:
        """Cut every registered sheet at this zoom step."""
        for name in self._paths:
            self.frame(name, "down", 1, zoom)

    def frame(self, name: str, facing: str, column: int, zoom: float) -> pygame.Surface:
        path = self._paths.get(name) or sprite_path(name, None, self.folder)
        key = (path, zoom)
        if key not in self._frames:
            self._frames[key] = self._cut(self._sheet(path), zoom)
        return self._frames[key][ROWS.get(facing, 0)][column]

    def portrait(self, name: str, size: int) -> pygame.Surface:
        """The standing, front-facing frame at `size` pixels, for the side panel."""
        path = self._paths.get(name) or sprite_path(name, None, self.folder)
        key = (path, -size)  # negative: not a zoom step
        if key not in self._portraits:
            frame = self._sheet(path).subsurface(
                pygame.Rect(STAND * self.tile_size, 0, self.tile_size, self.tile_size)
            )
            self._portraits[key] = pygame.transform.scale(frame, (size, size))
        return self._portraits[key]

    def _sheet(self, path: Path) -> pygame.Surface:
        if path not in self._sheets:
            try:
                sheet = pygame.image.load(str(path))
            except (FileNotFoundError, pygame.error):
                sheet = _placeholder(self.tile_size)
            if pygame.display.get_surface() is not None:
                sheet = sheet.convert_alpha()
            self._sheets[path] = sheet
        return self._sheets[path]

    def _cut(self, sheet: pygame.Surface, zoom: float) -> list[list[pygame.Surface]]:
        size = self.tile_size
        px = max(1, round(size * zoom))
        # Pixel art stays crisp scaled up; scaled down it needs averaging to stay legible.
        scale = pygame.transform.scale if zoom >= 1 else pygame.transform.smoothscale
        return [
            [
                scale(sheet.subsurface(pygame.Rect(c * size, r * size, size, size)), (px, px))
                for c in range(3)
            ]
            for r in range(4)
        ]


def _placeholder(size: int) -> pygame.Surface:
    """A plain figure for a missing sheet: the run still shows everyone."""
    sheet = pygame.Surface((size * 3, size * 4), pygame.SRCALPHA)
    for r in range(4):
        for c in range(3):
            middle = (c * size + size // 2, r * size + size // 2)
            pygame.draw.circle(sheet, (200, 80, 80), middle, size // 3)
    return sheet
