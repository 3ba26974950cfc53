"""Drawing the town: the map, then the people (sprites, names, emoji, what they do), then
what floats above them (thought marks and speech bubbles), clipped to the map's view.

Only agents on screen are drawn, and every string and scaled picture comes from a cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pygame

from town.viewer.camera import Camera
from town.viewer.motion import Movements, walk_column
from town.viewer.snapshot import AgentView, Snapshot
from town.viewer.sprites import MapPicture, SpriteSheets
from town.viewer.text import Text
from town.world import Town, places

# Colours
LABEL_BG = (20, 22, 30, 190)
LABEL_FG = (245, 245, 245)
ACTION_FG = (215, 225, 235)
SELECTED = (255, 214, 64)
HOVERED = (255, 255, 255)
BUBBLE_BG = (255, 253, 240)
BUBBLE_EDGE = (38, 40, 52)
BUBBLE_FG = (24, 26, 34)
BUBBLE_OLD_FG = (95, 98, 110)
THOUGHT_BG = (228, 232, 255)
THOUGHT_EDGE = (90, 96, 140)
THOUGHT_DOT = (70, 76, 120)
EVENT = (255, 128, 32)
PICKED_OBJECT = (120, 220, 255)

BUBBLE_WIDTH = 220  # text width of a speech bubble, in pixels
BUBBLE_LINES = 4
BUBBLE_TEXT = 13  # font size
BUBBLE_PAD = (7, 5)  # text inset from the bubble's top left corner
CULL_MARGIN = 240  # pixels around the view where agents are still drawn (their bubbles show)


@dataclass
class Scene:
    """What one frame shows besides the snapshot: the window's own state."""

    snapshot: Snapshot
    now: float  # monotonic seconds: drives the glides and the animations
    thinking: frozenset[str] = frozenset()
    selected: str | None = None
    hovered: str | None = None
    picked_object: str | None = None  # the object a world event would happen to


@dataclass
class _Drawn:
    agent: AgentView
    rect: pygame.Rect  # the sprite on screen
    walking: bool
    lit: bool  # selected or hovered: its labels show at any zoom


@dataclass
class WorldRenderer:
    town: Town
    picture: MapPicture
    sprites: SpriteSheets
    text: Text
    hitboxes: list[tuple[str, pygame.Rect]] = field(default_factory=list)
    _shadows: dict[int, pygame.Surface] = field(default_factory=dict)
    _object_rects: dict[str, pygame.Rect] = field(default_factory=dict)
    _labels: list[pygame.Rect] = field(default_factory=list)
    bubbles: list[tuple[str, pygame.Rect]] = field(default_factory=list)  # the last frame's

    def draw(
        self, surface: pygame.Surface, camera: Camera, scene: Scene, movements: Movements
    ) -> None:
        view = pygame.Rect(camera.view_x, camera.view_y, camera.view_w, camera.view_h)
        clip = surface.get_clip()
        surface.set_clip(view)
        self.picture.draw(surface, camera)
        self._draw_objects(surface, camera, scene)
        drawn = self._place_agents(camera, scene, movements, view)
        for d in drawn:
            self._draw_agent(surface, camera, scene, d)
        self._labels = []  # placed this frame, so that names do not overlap
        for d in sorted(drawn, key=lambda d: not d.lit):  # the selected one's label first
            self._draw_labels(surface, camera, d)
        for d in drawn:
            self._draw_emoji(surface, camera, d)
        for d in drawn:
            if d.agent.name in scene.thinking:
                self._draw_thought(surface, d.rect, scene.now)
        self._draw_bubbles(surface, view, drawn)
        surface.set_clip(clip)
        self.hitboxes = [(d.agent.name, d.rect) for d in reversed(drawn)]  # topmost first

    def agent_at(self, sx: int, sy: int) -> str | None:
        """The agent drawn at a screen point in the last frame (the topmost one)."""
        for name, rect in self.hitboxes:
            if rect.collidepoint(sx, sy):
                return name
        return None

    # -- people ----------------------------------------------------------------------------

    def _place_agents(
        self, camera: Camera, scene: Scene, movements: Movements, view: pygame.Rect
    ) -> list[_Drawn]:
        tile = self.town.tile_size
        px = round(tile * camera.zoom)
        reach = view.inflate(CULL_MARGIN * 2, CULL_MARGIN * 2)
        drawn = []
        for agent in scene.snapshot.agents:
            fx, fy, walking = movements.position(agent.name, scene.now)
            sx, sy = camera.to_screen(fx * tile, fy * tile)
            rect = pygame.Rect(sx, sy, px, px)
            if not reach.colliderect(rect):
                continue
            lit = agent.name in (scene.selected, scene.hovered)
            drawn.append(_Drawn(agent, rect, walking, lit))
        drawn.sort(key=lambda d: (d.rect.y, d.agent.name == scene.selected))
        return drawn

    def _draw_agent(self, surface: pygame.Surface, camera: Camera, scene: Scene, d: _Drawn) -> None:
        rect = d.rect
        surface.blit(self._shadow(rect.width), (rect.x, rect.bottom - rect.width // 4))
        name = d.agent.name
        if name == scene.selected or name == scene.hovered:
            ring = pygame.Rect(0, 0, rect.width, max(rect.width // 3, 4))
            ring.center = (rect.centerx, rect.bottom - 2)
            color = SELECTED if name == scene.selected else HOVERED
            pygame.draw.ellipse(surface, color, ring, max(2, rect.width // 16))
        column = walk_column(d.walking, scene.now)
        frame = self.sprites.frame(name, d.agent.facing, column, camera.zoom)
        surface.blit(frame, rect.topleft)

    def _shadow(self, size: int) -> pygame.Surface:
        if size not in self._shadows:
            shadow = pygame.Surface((size, max(size // 3, 2)), pygame.SRCALPHA)
            pygame.draw.ellipse(shadow, (0, 0, 0, 70), shadow.get_rect())
            self._shadows[size] = shadow
        return self._shadows[size]

    def _draw_emoji(self, surface: pygame.Surface, camera: Camera, d: _Drawn) -> None:
        """What it is doing, as an emoji over its head (over the names of people behind)."""
        action = d.agent.action
        if action is None or not action.emoji or (camera.zoom < 0.375 and not d.lit):
            return
        glyph = self.text.emoji(action.emoji, emoji_size(d.rect))
        if glyph is not None:
            surface.blit(glyph, glyph.get_rect(midbottom=(d.rect.centerx, d.rect.top - 1)))

    def _draw_labels(self, surface: pygame.Surface, camera: Camera, d: _Drawn) -> None:
        zoom, rect, agent = camera.zoom, d.rect, d.agent
        action = agent.action
        if zoom < 0.5 and not d.lit:
            return
        size = 13 if zoom >= 1 else 11
        name = agent.name if zoom >= 1 or d.lit else agent.name.split()[0]
        y = self._label(surface, name, size, (rect.centerx, rect.bottom + 1), LABEL_FG, True)
        if action is not None and (zoom >= 1.5 or d.lit):
            what = self.text.clip(action.description, 11, 220)
            self._label(surface, what, 11, (rect.centerx, y), ACTION_FG)

    def _label(
        self,
        surface: pygame.Surface,
        text: str,
        size: int,
        midtop: tuple[int, int],
        color: tuple[int, int, int],
        bold: bool = False,
    ) -> int:
        """A pill below its owner, moved further down past labels already placed (people
        standing side by side would otherwise have unreadable names)."""
        box = self.text.render(text, size, color, bold).get_rect(midtop=midtop).inflate(8, 2)
        for _ in range(4):
            hit = box.collidelist(self._labels)
            if hit < 0:
                break
            box.top = self._labels[hit].bottom + 1
        self._labels.append(box)
        return self._pill(surface, text, size, (midtop[0], box.top + 1), color, bold)

    def _pill(
        self,
        surface: pygame.Surface,
        text: str,
        size: int,
        midtop: tuple[int, int],
        color: tuple[int, int, int],
        bold: bool = False,
    ) -> int:
        """Text on a dark rounded label; returns the y just below it."""
        label = self.text.render(text, size, color, bold)
        box = label.get_rect(midtop=midtop).inflate(8, 2)
        background = pygame.Surface(box.size, pygame.SRCALPHA)
        pygame.draw.rect(background, LABEL_BG, background.get_rect(), border_radius=box.height // 2)
        surface.blit(background, box.topleft)
        surface.blit(label, label.get_rect(center=box.center))
        return box.bottom + 1

    def _draw_thought(self, surface: pygame.Surface, rect: pygame.Rect, now: float) -> None:
        """A thought cloud off the head's top right (clear of the emoji), its three dots
        filling in turn: this agent is waiting on the model."""
        r = min(max(round(rect.width * 0.28), 6), 14)
        cloud = pygame.Rect(0, 0, r * 4, round(r * 2.4))
        cloud.center = (rect.right + round(r * 1.6), rect.top - round(r * 1.3))
        trail = [
            ((rect.right - 1, rect.top + 1), max(r // 4, 2)),
            ((rect.right + r // 3, rect.top - r // 3), max(r // 3, 2)),
        ]
        for (x, y), radius in trail:
            pygame.draw.circle(surface, THOUGHT_BG, (x, y), radius)
            pygame.draw.circle(surface, THOUGHT_EDGE, (x, y), radius, 1)
        pygame.draw.ellipse(surface, THOUGHT_BG, cloud)
        pygame.draw.ellipse(surface, THOUGHT_EDGE, cloud, 1)
        lit = int(now * 3) % 4  # 0 to 3 dots, a third of a second each
        dot = max(r // 4, 2)
        for i in range(3):
            at = (cloud.centerx + (i - 1) * dot * 3, cloud.centery)
            if i < lit:
                pygame.draw.circle(surface, THOUGHT_DOT, at, dot)
            else:
                pygame.draw.circle(surface, THOUGHT_EDGE, at, max(dot // 2, 1))

    def _draw_bubbles(
        self, surface: pygame.Surface, view: pygame.Rect, drawn: list[_Drawn]
    ) -> None:
        speaking = [d for d in drawn if d.agent.utterance]
        # Older lines first, so the line just said is drawn on top of any overlap.
        speaking.sort(key=lambda d: (d.agent.spoke_now, d.lit))
        placed: list[pygame.Rect] = []
        for d in speaking:
            placed.append(self._bubble(surface, view, d, placed))
        self.bubbles = [(d.agent.name, box) for d, box in zip(speaking, placed, strict=True)]

    def _bubble(
        self, surface: pygame.Surface, view: pygame.Rect, d: _Drawn, placed: list[pygame.Rect]
    ) -> pygame.Rect:
        size = BUBBLE_TEXT
        lines = self.text.wrap(d.agent.utterance or "", size, BUBBLE_WIDTH, max_lines=BUBBLE_LINES)
        fg = BUBBLE_FG if d.agent.spoke_now else BUBBLE_OLD_FG
        rendered = [self.text.render(line, size, fg) for line in lines]
        height = sum(r.get_height() for r in rendered)
        width = max(r.get_width() for r in rendered)
        anchor = (d.rect.centerx, d.rect.top - emoji_size(d.rect) - 2)
        box = pygame.Rect(0, 0, width + 2 * BUBBLE_PAD[0], height + 2 * BUBBLE_PAD[1])
        box.midbottom = (anchor[0], anchor[1] - 8)
        for _ in range(6):  # climb above bubbles already there
            hit = box.collidelist(placed)
            if hit < 0:
                break
            box.bottom = placed[hit].top - 3
        box.clamp_ip(view)
        tail_x = min(max(anchor[0], box.left + 10), box.right - 10)
        pygame.draw.polygon(
            surface, BUBBLE_BG, [(tail_x - 6, box.bottom - 1), (tail_x + 6, box.bottom - 1), anchor]
        )
        tail = [(tail_x - 6, box.bottom), anchor, (tail_x + 6, box.bottom)]
        pygame.draw.lines(surface, BUBBLE_EDGE, False, tail)
        pygame.draw.rect(surface, BUBBLE_BG, box, border_radius=8)
        pygame.draw.rect(surface, BUBBLE_EDGE, box, 2 if d.agent.spoke_now else 1, border_radius=8)
        y = box.top + BUBBLE_PAD[1]
        for r in rendered:
            surface.blit(r, (box.left + BUBBLE_PAD[0], y))
            y += r.get_height()
        return box

    # -- objects ---------------------------------------------------------------------------

    def _draw_objects(self, surface: pygame.Surface, camera: Camera, scene: Scene) -> None:
        """Objects something happened to (a world event, not someone's use) glow, and the
        object picked for the next event is outlined."""
        used = {a.action.address for a in scene.snapshot.agents if a.action is not None}
        pulse = 0.5 + 0.5 * math.sin(scene.now * 4)
        for address, state in scene.snapshot.objects.items():
            if address in used or places.depth(address) != 4:
                continue
            rect = self._screen_rect(camera, address)
            if rect is None:
                continue
            glow = pygame.Surface(rect.size, pygame.SRCALPHA)
            glow.fill((*EVENT, round(60 + 60 * pulse)))
            surface.blit(glow, rect.topleft)
            pygame.draw.rect(surface, EVENT, rect, 2)
            self._pill(surface, state, 11, (rect.centerx, rect.bottom + 1), EVENT)
        if scene.picked_object:
            rect = self._screen_rect(camera, scene.picked_object)
            if rect is not None:
                pygame.draw.rect(surface, PICKED_OBJECT, rect.inflate(4, 4), 2, border_radius=3)
                label = places.last(scene.picked_object)
                self._pill(surface, label, 11, (rect.centerx, rect.top - 18), PICKED_OBJECT)

    def _screen_rect(self, camera: Camera, address: str) -> pygame.Rect | None:
        world = self._object_rects.get(address)
        if world is None:
            tiles = self.town.tiles.get(address)
            if not tiles:
                return None
            xs, ys = [t[0] for t in tiles], [t[1] for t in tiles]
            size = self.town.tile_size
            world = pygame.Rect(
                min(xs) * size,
                min(ys) * size,
                (max(xs) - min(xs) + 1) * size,
                (max(ys) - min(ys) + 1) * size,
            )
            self._object_rects[address] = world
        x, y = camera.to_screen(world.x, world.y)
        return pygame.Rect(x, y, round(world.w * camera.zoom), round(world.h * camera.zoom))


def emoji_size(sprite: pygame.Rect) -> int:
    """The emoji over a head: most of a tile, readable when zoomed out, modest zoomed in."""
    return min(max(round(sprite.width * 0.6), 14), 28)
