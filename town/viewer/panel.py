"""The side panel of the selected agent: who it is, what it does and where, today's plan with
the current block marked, what was asked and whispered from the window, its memories and
reflections, and what it thinks of the people it knows.

The content is laid out once into a tall surface whenever it changes (at most a few times a
second while the town runs); a frame only blits the part scrolled into view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygame

from memory import MemoryKind
from town.clock import Clock
from town.mind.plan import clock as minute_clock
from town.scenario import AgentSpec
from town.viewer.snapshot import AgentDetails, AgentView
from town.viewer.sprites import SpriteSheets
from town.viewer.text import Text
from town.viewer.widgets import ACCENT, BAR_EDGE, FG, MUTED, Button
from town.world import places

WIDTH = 380
PANEL_BG = (33, 36, 47)
HEADING = (255, 214, 64)
CURRENT_BG = (70, 62, 30)
PAD = 14
NAME_SIZES = (18, 16, 14)
REBUILD_EVERY = 0.25  # seconds: how often a running town refreshes the panel's content
KIND_COLORS = {
    MemoryKind.REFLECTION: (205, 175, 255),
    MemoryKind.CHAT: (150, 205, 255),
    MemoryKind.PLAN: (170, 225, 165),
    MemoryKind.OBSERVATION: (215, 218, 228),
}


@dataclass
class Exchange:
    """Something said to the agent from the window, and its answer once it comes."""

    kind: str  # "interview" or "whisper"
    said: str
    answer: str | None = None
    failed: bool = False


@dataclass
class _Layout:
    surface: pygame.Surface
    name_rect: pygame.Rect  # where the name is, within the content
    name_size: int
    lines: list[str]  # every line of text laid out, top to bottom
    key: tuple[object, ...]


@dataclass
class Panel:
    text: Text
    sprites: SpriteSheets
    specs: dict[str, AgentSpec]
    clock: Clock
    rect: pygame.Rect = field(default_factory=lambda: pygame.Rect(0, 0, WIDTH, 0))
    scroll: int = 0
    close_button: Button = field(default_factory=lambda: Button("close", icon="close"))
    follow_button: Button = field(default_factory=lambda: Button("follow", "Follow"))
    _layout: _Layout | None = None
    _built_at: float = -1.0
    _agent: str | None = None

    def layout(self, rect: pygame.Rect) -> None:
        if rect.size != self.rect.size:
            self._layout = None
        self.rect = rect
        self.close_button.rect = pygame.Rect(rect.right - 34, rect.y + 8, 26, 26)
        self.follow_button.rect = pygame.Rect(rect.right - 104, rect.y + 8, 64, 26)

    @property
    def name_rect(self) -> pygame.Rect | None:
        """Where the agent's name is drawn on screen (None when scrolled out of view)."""
        if self._layout is None:
            return None
        rect = self._layout.name_rect.move(self.rect.x, self.rect.y - self.scroll)
        return rect if self.rect.contains(rect) else None

    @property
    def lines(self) -> list[str]:
        """The text the panel shows now (all of it, scrolled into view or not)."""
        return self._layout.lines if self._layout else []

    @property
    def name_size(self) -> int:
        return self._layout.name_size if self._layout else NAME_SIZES[0]

    def click(self, pos: tuple[int, int]) -> object | None:
        for button in (self.close_button, self.follow_button):
            if button.rect.collidepoint(pos):
                return button.key
        return None

    def scroll_by(self, dy: int) -> None:
        height = self._layout.surface.get_height() if self._layout else 0
        self.scroll = min(max(self.scroll + dy, 0), max(height - self.rect.height + PAD, 0))

    def draw(
        self,
        surface: pygame.Surface,
        agent: AgentView,
        details: AgentDetails | None,
        exchanges: list[Exchange],
        thinking: bool,
        following: bool,
        mouse: tuple[int, int],
        now: float,
    ) -> None:
        if agent.name != self._agent:
            self._agent, self.scroll, self._layout = agent.name, 0, None
        # Cheap to compare: details are rebuilt every tick, and comparing their memories
        # field by field would cost more than the frame.
        seen = (details.name, details.tick) if details else None
        key = (agent, seen, len(exchanges), tuple(e.answer for e in exchanges), thinking)
        stale = self._layout is None or self._layout.key != key
        if stale and (self._layout is None or now - self._built_at >= REBUILD_EVERY):
            self._layout = self._build(agent, details, exchanges, thinking, key)
            self._built_at = now
            self.scroll_by(0)
        pygame.draw.rect(surface, PANEL_BG, self.rect)
        pygame.draw.line(surface, BAR_EDGE, self.rect.topleft, self.rect.bottomleft)
        assert self._layout is not None
        content = self._layout.surface
        visible = pygame.Rect(0, self.scroll, self.rect.width, self.rect.height)
        surface.blit(content, self.rect.topleft, visible.clip(content.get_rect()))
        self._scrollbar(surface, content.get_height())
        self.follow_button.draw(
            surface, self.text, following, self.follow_button.rect.collidepoint(mouse)
        )
        self.close_button.draw(
            surface, self.text, False, self.close_button.rect.collidepoint(mouse)
        )

    def _scrollbar(self, surface: pygame.Surface, height: int) -> None:
        if height <= self.rect.height:
            return
        bar_h = max(self.rect.height * self.rect.height // height, 24)
        room = max(height - self.rect.height, 1)
        y = self.rect.y + (self.rect.height - bar_h) * self.scroll // room
        pygame.draw.rect(surface, BAR_EDGE, (self.rect.right - 6, y, 4, bar_h), border_radius=2)

    # -- content ---------------------------------------------------------------------------

    def _build(
        self,
        agent: AgentView,
        details: AgentDetails | None,
        exchanges: list[Exchange],
        thinking: bool,
        key: tuple[object, ...],
    ) -> _Layout:
        w = self.rect.width - 2 * PAD - 6
        doc = _Document(self.text, w)
        spec = self.specs.get(agent.name)
        doc.space(8)
        portrait = self.sprites.portrait(agent.name, 48)
        name_rect = doc.header(portrait, agent.name, _who(spec))
        doc.space(6)
        doc.heading("Now")
        action = agent.action
        # now, not next frame: the panel is laid out once and kept
        emoji = self.text.emoji(action.emoji, 18, wait=False) if action and action.emoji else None
        doc.line(action.description if action else "getting ready", 14, FG, icon=emoji)
        if agent.status == "walking" and action is not None:
            doc.para("on the way to " + _place(action.address), 12, MUTED)
        elif details is not None or action is not None:
            doc.para("at " + _place(details.place if details else action.address), 12, MUTED)
        doc.para(_doing(agent, thinking), 12, ACCENT if thinking else MUTED)
        if spec is not None:
            doc.heading("Persona")
            doc.para(f"{spec.innate}", 12, FG)
            doc.para(f"Currently: {spec.currently}", 12, FG)
            if spec.lifestyle:
                doc.para(f"Lifestyle: {spec.lifestyle}", 12, MUTED)
            doc.para(spec.background, 12, MUTED)
        self._plan(doc, details)
        if exchanges:
            doc.heading("Talked to from the window")
            for e in exchanges[-8:]:
                label = "You asked" if e.kind == "interview" else "You whispered"
                doc.para(f"{label}: {e.said}", 12, ACCENT)
                if e.kind == "interview":
                    answer = e.answer if e.answer is not None else "… thinking"
                    doc.para(answer, 13, (255, 140, 90) if e.failed else FG)
                doc.space(4)
        self._memories(doc, details)
        self._relationships(doc, details)
        doc.space(PAD)
        return _Layout(doc.render(PANEL_BG), name_rect, doc.name_size, doc.lines, key)

    def _plan(self, doc: _Document, details: AgentDetails | None) -> None:
        doc.heading("Today's plan")
        plan = details.plan if details else None
        if plan is None:
            doc.para("no plan yet" if details else "…", 12, MUTED)
            return
        for i, block in enumerate(plan.blocks):
            span = f"{minute_clock(block.start)}–{minute_clock(block.end)}"
            current = i == details.current_block if details else False
            doc.row(span, block.activity, current)
            if current and details and details.tasks:
                for task in details.tasks[:3]:
                    at = self.clock.at(task.start)
                    doc.para(f"    next {at:%H:%M}: {task.description}", 11, MUTED)

    def _memories(self, doc: _Document, details: AgentDetails | None) -> None:
        doc.heading("Memories and reflections")
        if not details or not details.memories:
            doc.para("none yet" if details else "…", 12, MUTED)
            return
        for memory in details.memories:
            at = self.clock.at(memory.created)
            mark = "★ " if memory.kind == MemoryKind.REFLECTION else ""
            color = KIND_COLORS.get(memory.kind, FG)
            doc.para(f"{at:%a %H:%M}  {mark}{memory.text}", 12, color)

    def _relationships(self, doc: _Document, details: AgentDetails | None) -> None:
        doc.heading("Relationships")
        if not details or not details.relationships:
            doc.para("none yet" if details else "…", 12, MUTED)
            return
        for person, view in details.relationships:
            doc.para(person, 12, FG, bold=True)
            doc.para(view, 12, MUTED)


def _who(spec: AgentSpec | None) -> str:
    if spec is None:
        return ""
    return f"{spec.age}, {spec.occupation}"


def _place(address: str) -> str:
    """'the Ville:Hobbs Cafe:cafe:counter' -> 'Hobbs Cafe › cafe › counter'."""
    parts = places.split(address)
    return " › ".join(parts[1:] if len(parts) > 1 else parts)


def _doing(agent: AgentView, thinking: bool) -> str:
    if thinking:
        return "thinking…"
    if agent.talking_with:
        return "talking with " + ", ".join(agent.talking_with)
    return agent.status


class _Document:
    """A column of text laid out top to bottom, then rendered into one surface."""

    def __init__(self, text: Text, width: int) -> None:
        self.text = text
        self.width = width
        self.y = 0
        self.items: list[tuple[str, object, int, int]] = []  # (kind, what, x, y)
        self.name_size = NAME_SIZES[0]
        self.lines: list[str] = []

    def space(self, h: int) -> None:
        self.y += h

    def header(self, portrait: pygame.Surface, name: str, who: str) -> pygame.Rect:
        self.items.append(("blit", portrait, PAD, self.y))
        x = PAD + portrait.get_width() + 10
        beside = self.width - portrait.get_width() - 10
        room = beside - 100  # the follow and close buttons sit at the top right
        # A long name gets a smaller font before it gets an ellipsis.
        size = next((n for n in NAME_SIZES if self.text.width(name, n, True) <= room), 14)
        self.name_size = size
        self.lines.append(name)
        label = self.text.render(self.text.clip(name, size, room), size, FG, True)
        name_y = self.y + 4
        self.items.append(("blit", label, x, name_y))
        rect = pygame.Rect(x, name_y, label.get_width(), label.get_height())
        if who:
            sub = self.text.render(self.text.clip(who, 12, beside), 12, MUTED)
            self.items.append(("blit", sub, x, name_y + label.get_height() + 4))
        self.y += max(portrait.get_height(), label.get_height() + 22) + 4
        return rect

    def heading(self, title: str) -> None:
        self.y += 10
        self.lines.append(title.upper())
        label = self.text.render(title.upper(), 11, HEADING, bold=True)
        self.items.append(("blit", label, PAD, self.y))
        self.y += label.get_height() + 4

    def line(self, words: str, size: int, color: tuple[int, int, int], icon=None) -> None:
        x = PAD
        if icon is not None:
            self.items.append(("blit", icon, x, self.y))
            x += icon.get_width() + 6
        words = self.text.clip(words, size, self.width - x)
        self.lines.append(words)
        label = self.text.render(words, size, color)
        self.items.append(("blit", label, x, self.y))
        self.y += max(label.get_height(), icon.get_height() if icon else 0) + 2

    def para(self, words: str, size: int, color: tuple[int, int, int], bold: bool = False) -> None:
        for line in self.text.wrap(words, size, self.width, bold):
            self.lines.append(line)
            label = self.text.render(line, size, color, bold)
            self.items.append(("blit", label, PAD, self.y))
            self.y += label.get_height()
        self.y += 2

    def row(self, left: str, right: str, current: bool) -> None:
        size = 12
        left_w = 112
        lines = self.text.wrap(right, size, self.width - left_w, bold=current)
        height = len(lines) * self.text.line_height(size) + 4
        if current:
            self.items.append(("fill", pygame.Rect(PAD - 6, self.y, self.width + 12, height), 0, 0))
            self.items.append(("mark", pygame.Rect(PAD - 6, self.y, 3, height), 0, 0))
        color = FG if current else MUTED
        self.lines.append(f"{left} {right}")
        label = self.text.render(("▶ " if current else "   ") + left, size, color, current)
        self.items.append(("blit", label, PAD, self.y + 2))
        y = self.y + 2
        for line in lines:
            text = self.text.render(line, size, FG if current else (200, 204, 214), current)
            self.items.append(("blit", text, PAD + left_w, y))
            y += self.text.line_height(size)
        self.y += height + 1

    def render(self, background: tuple[int, int, int]) -> pygame.Surface:
        surface = pygame.Surface((self.width + 2 * PAD + 6, max(self.y, 1)))
        surface.fill(background)
        for kind, what, x, y in self.items:
            if kind == "blit":
                surface.blit(what, (x, y))  # type: ignore[arg-type]
            elif kind == "fill":
                pygame.draw.rect(surface, CURRENT_BG, what)  # type: ignore[arg-type]
            elif kind == "mark":
                pygame.draw.rect(surface, ACCENT, what)  # type: ignore[arg-type]
        return surface
