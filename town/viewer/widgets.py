"""The window's controls: the top bar (clock, time controls, model activity), the text box
for talking to the town, the replay timeline, and short notices.

Each widget draws itself into a rectangle it is given and answers clicks with a plain value
(what was asked for); the app decides what that does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pygame

from town.viewer.snapshot import Snapshot
from town.viewer.text import Text

BAR_BG = (27, 30, 39)
BAR_EDGE = (58, 62, 78)
FG = (236, 238, 244)
MUTED = (150, 156, 174)
ACCENT = (255, 214, 64)
ACCENT_FG = (30, 30, 30)
BUTTON = (47, 51, 66)
BUTTON_HOVER = (66, 71, 90)
FIELD_BG = (16, 18, 24)
WARN = (255, 140, 90)

TOP_BAR = 40
INPUT_BAR = 44
TIMELINE_BAR = 56

# Speed presets: multiples of one tick a second (1x = `seconds_per_tick` game seconds per
# real second); None is as fast as the model allows.
SPEEDS: tuple[tuple[str, float | None], ...] = (
    ("1x", 1.0),
    ("2x", 2.0),
    ("5x", 5.0),
    ("10x", 10.0),
    ("max", None),
)


@dataclass
class Button:
    key: object  # what a click on it asks for
    label: str = ""
    icon: str | None = None  # "play", "pause", "step", "close"
    rect: pygame.Rect = field(default_factory=lambda: pygame.Rect(0, 0, 0, 0))

    def draw(
        self, surface: pygame.Surface, text: Text, active: bool = False, hover: bool = False
    ) -> None:
        color = ACCENT if active else BUTTON_HOVER if hover else BUTTON
        fg = ACCENT_FG if active else FG
        pygame.draw.rect(surface, color, self.rect, border_radius=6)
        if self.icon is not None:
            _icon(surface, self.icon, self.rect, fg)
        else:
            label = text.render(self.label, 13, fg, bold=True)
            surface.blit(label, label.get_rect(center=self.rect.center))


def _icon(
    surface: pygame.Surface, icon: str, rect: pygame.Rect, color: tuple[int, int, int]
) -> None:
    cx, cy, h = rect.centerx, rect.centery, rect.height // 2 - 4
    if icon == "play":
        triangle = [(cx - h // 2, cy - h), (cx - h // 2, cy + h), (cx + h, cy)]
        pygame.draw.polygon(surface, color, triangle)
    elif icon == "pause":
        for dx in (-h // 2 - 2, h // 2 - 1):
            pygame.draw.rect(surface, color, (cx + dx, cy - h, max(h // 2, 3), 2 * h))
    elif icon == "step":
        pygame.draw.polygon(surface, color, [(cx - h, cy - h), (cx - h, cy + h), (cx + h // 2, cy)])
        pygame.draw.rect(surface, color, (cx + h // 2 + 1, cy - h, 3, 2 * h))
    elif icon == "back":
        pygame.draw.polygon(surface, color, [(cx + h, cy - h), (cx + h, cy + h), (cx - h // 2, cy)])
        pygame.draw.rect(surface, color, (cx - h // 2 - 4, cy - h, 3, 2 * h))
    elif icon == "close":
        pygame.draw.line(surface, color, (cx - h, cy - h), (cx + h, cy + h), 2)
        pygame.draw.line(surface, color, (cx - h, cy + h), (cx + h, cy - h), 2)


def hit(buttons: Sequence[Button], pos: tuple[int, int]) -> Button | None:
    for button in buttons:
        if button.rect.collidepoint(pos):
            return button
    return None


class TopBar:
    """The game date and time; pause, speeds and one tick; the model's activity."""

    def __init__(self, text: Text, replay: bool = False) -> None:
        self.text = text
        self.replay = replay
        self.pause = Button("pause", icon="pause")
        self.speeds = [Button(("speed", i), label) for i, (label, _) in enumerate(SPEEDS)]
        self.step = Button("step", icon="step")
        self.back = Button("back", icon="back")
        self.rect = pygame.Rect(0, 0, 0, TOP_BAR)

    @property
    def buttons(self) -> list[Button]:
        extra = [self.back] if self.replay else []
        return [self.pause, *self.speeds, *extra, self.step]

    def layout(self, width: int) -> None:
        self.rect = pygame.Rect(0, 0, width, TOP_BAR)
        x = max(width // 2 - 190, 260)
        y = 6
        for button in self.buttons:
            w = 34 if button.icon else 44
            button.rect = pygame.Rect(x, y, w, TOP_BAR - 12)
            x += w + 4

    def click(self, pos: tuple[int, int]) -> object | None:
        button = hit(self.buttons, pos)
        return button.key if button else None

    def draw(
        self,
        surface: pygame.Surface,
        snapshot: Snapshot,
        seconds_per_tick: int,
        thinking: int,
        in_flight: int,
        mouse: tuple[int, int],
        label: str = "",
    ) -> None:
        pygame.draw.rect(surface, BAR_BG, self.rect)
        pygame.draw.line(surface, BAR_EDGE, self.rect.bottomleft, self.rect.bottomright)
        when = self.text.render(_clock(snapshot.time), 15, FG, bold=True)
        surface.blit(when, (12, self.rect.centery - when.get_height() // 2 - 1))
        status = label or (
            "ended"
            if snapshot.ended
            else "paused"
            if snapshot.paused
            else "waiting for decisions: the clock slows"
            if snapshot.behind
            else ""
        )
        if status:
            tag = self.text.render(status, 12, ACCENT)
            surface.blit(tag, (20 + when.get_width(), self.rect.centery - tag.get_height() // 2))
        self.pause.icon = "play" if snapshot.paused else "pause"
        for button in self.buttons:
            active = False
            if isinstance(button.key, tuple) and not snapshot.paused:
                active = SPEEDS[button.key[1]][1] == _preset(snapshot.speed, seconds_per_tick)
            button.draw(surface, self.text, active, button.rect.collidepoint(mouse))
        right = self.buttons[-1].rect.right + 16
        self._activity(surface, snapshot, thinking, in_flight, right)

    def _activity(
        self, surface: pygame.Surface, snapshot: Snapshot, thinking: int, in_flight: int, left: int
    ) -> None:
        a = snapshot.activity
        parts = [
            f"{thinking} thinking" if thinking else "",
            f"{in_flight} in flight" if in_flight else "",
            f"decisions {snapshot.lag_minutes:.0f} min behind" if snapshot.lag_minutes >= 1 else "",
            f"{a.requests:,} requests",
            f"{_short(a.tokens)} tokens",
            f"${a.cost:.2f}",
        ]
        line = " · ".join(p for p in parts if p)
        room = self.rect.width - left - 12
        if room < 40:
            return
        color = ACCENT if thinking or in_flight else MUTED
        label = self.text.render(self.text.clip(line, 12, room), 12, color)
        surface.blit(label, (self.rect.width - 12 - label.get_width(), self.rect.centery - 7))


def _preset(speed: float | None, seconds_per_tick: int) -> float | None:
    return None if speed is None else speed / seconds_per_tick


def _clock(moment: dt.datetime) -> str:
    return moment.strftime("%a %d %b %Y  %H:%M:%S")


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return f"{n:,}"


# -- talking to the town ------------------------------------------------------------------------

MODES = ("whisper", "interview", "event")
MODE_LABELS = {"whisper": "Whisper", "interview": "Interview", "event": "Event"}


class InputBar:
    """A text box with three uses: whisper to the selected agent, interview it, or start a
    world event on the picked object. Enter sends; Tab changes the use; Escape leaves."""

    def __init__(self, text: Text) -> None:
        self.text = text
        self.mode = "whisper"
        self.value = ""
        self.focused = False
        self.modes = [Button(("mode", m), MODE_LABELS[m]) for m in MODES]
        self.send = Button("send", "Send")
        self.box = pygame.Rect(0, 0, 0, 0)
        self.rect = pygame.Rect(0, 0, 0, INPUT_BAR)

    def layout(self, rect: pygame.Rect) -> None:
        self.rect = rect
        x, y, h = rect.x + 8, rect.y + 7, rect.height - 14
        for button in self.modes:
            w = 84 if button.label == "Interview" else 72
            button.rect = pygame.Rect(x, y, w, h)
            x += w + 4
        self.send.rect = pygame.Rect(rect.right - 72, y, 64, h)
        self.box = pygame.Rect(x + 6, y, self.send.rect.left - x - 12, h)

    def click(self, pos: tuple[int, int]) -> object | None:
        button = hit([*self.modes, self.send], pos)
        if button is not None:
            return button.key
        if self.box.collidepoint(pos):
            return "focus"
        return None

    def next_mode(self, step: int = 1) -> None:
        self.mode = MODES[(MODES.index(self.mode) + step) % len(MODES)]

    def type(self, chars: str) -> None:
        self.value = (self.value + chars)[:300]

    def backspace(self) -> None:
        self.value = self.value[:-1]

    def take(self) -> str:
        value, self.value = self.value.strip(), ""
        return value

    def draw(
        self, surface: pygame.Surface, placeholder: str, mouse: tuple[int, int], now: float
    ) -> None:
        pygame.draw.rect(surface, BAR_BG, self.rect)
        pygame.draw.line(surface, BAR_EDGE, self.rect.topleft, self.rect.topright)
        for button in self.modes:
            active = button.key == ("mode", self.mode)
            button.draw(surface, self.text, active, button.rect.collidepoint(mouse))
        self.send.draw(surface, self.text, False, self.send.rect.collidepoint(mouse))
        pygame.draw.rect(surface, FIELD_BG, self.box, border_radius=5)
        edge = ACCENT if self.focused else BAR_EDGE
        pygame.draw.rect(surface, edge, self.box, 1, border_radius=5)
        room = self.box.width - 16
        if self.value:
            shown = self.value
            while shown and self.text.width(shown, 14) > room:
                shown = shown[1:]  # keep the end in view while typing
            label = self.text.render(shown, 14, FG)
        else:
            label = self.text.render(self.text.clip(placeholder, 14, room), 14, MUTED)
        y = self.box.centery - label.get_height() // 2
        surface.blit(label, (self.box.x + 8, y))
        if self.focused and int(now * 2) % 2 == 0:
            x = self.box.x + 9 + (label.get_width() if self.value else 0)
            pygame.draw.line(surface, FG, (x, self.box.y + 6), (x, self.box.bottom - 7), 2)


# -- replay -------------------------------------------------------------------------------------


class Timeline:
    """The whole recorded run as a bar: click or drag anywhere to jump there. Marks show
    hours and days, and a strip shows when people talked."""

    def __init__(self, text: Text, start: int, end: int, ticks_per_hour: int, first: dt.datetime):
        self.text = text
        self.start, self.end = start, max(end, start + 1)
        self.ticks_per_hour = ticks_per_hour
        self.first = first  # the game time of `start`
        self.rect = pygame.Rect(0, 0, 0, TIMELINE_BAR)
        self.track = pygame.Rect(0, 0, 0, 0)
        self.talk_ticks: list[int] = []
        self.dragging = False
        self._background: pygame.Surface | None = None

    def layout(self, rect: pygame.Rect) -> None:
        self.rect = rect
        self.track = pygame.Rect(rect.x + 16, rect.y + 22, rect.width - 32, 18)
        self._background = None

    def tick_at(self, x: int) -> int:
        f = (x - self.track.x) / max(self.track.width, 1)
        return round(self.start + min(max(f, 0.0), 1.0) * (self.end - self.start))

    def x_of(self, tick: int) -> int:
        f = (tick - self.start) / (self.end - self.start)
        return self.track.x + round(min(max(f, 0.0), 1.0) * self.track.width)

    def press(self, pos: tuple[int, int]) -> int | None:
        if self.track.inflate(0, 16).collidepoint(pos):
            self.dragging = True
            return self.tick_at(pos[0])
        return None

    def drag(self, pos: tuple[int, int]) -> int | None:
        return self.tick_at(pos[0]) if self.dragging else None

    def release(self) -> None:
        self.dragging = False

    def draw(self, surface: pygame.Surface, tick: int, now_label: str) -> None:
        if self._background is None:
            self._background = self._draw_background()
        surface.blit(self._background, self.rect.topleft)
        x = self.x_of(tick)
        done = pygame.Rect(self.track.x, self.track.y, x - self.track.x, self.track.height)
        shade = pygame.Surface(done.size, pygame.SRCALPHA)
        shade.fill((255, 214, 64, 50))
        surface.blit(shade, done.topleft)
        pygame.draw.line(surface, ACCENT, (x, self.track.y - 5), (x, self.track.bottom + 4), 3)
        pygame.draw.circle(surface, ACCENT, (x, self.track.y - 5), 5)
        label = self.text.render(now_label, 12, ACCENT, bold=True)
        lx = x - label.get_width() // 2
        lx = min(max(lx, self.rect.x + 4), self.rect.right - label.get_width() - 4)
        surface.blit(label, (lx, self.rect.y + 3))

    def _draw_background(self) -> pygame.Surface:
        bg = pygame.Surface(self.rect.size)
        bg.fill(BAR_BG)
        pygame.draw.line(bg, BAR_EDGE, (0, 0), (self.rect.width, 0))
        track = self.track.move(-self.rect.x, -self.rect.y)
        pygame.draw.rect(bg, FIELD_BG, track, border_radius=4)
        for tick in self.talk_ticks:  # conversations: a warm strip
            x = self.x_of(tick) - self.rect.x
            pygame.draw.line(bg, (120, 170, 255), (x, track.y + 3), (x, track.bottom - 4))
        hours = (self.end - self.start) / self.ticks_per_hour
        every = 1 if hours <= 30 else 3 if hours <= 80 else 6 if hours <= 160 else 24
        first_hour = self.first.replace(minute=0, second=0, microsecond=0)
        hour = first_hour + dt.timedelta(hours=1)
        while True:
            hours_in = (hour - self.first).total_seconds() / 3600
            tick = self.start + round(hours_in * self.ticks_per_hour)
            if tick > self.end:
                break
            x = self.x_of(tick) - self.rect.x
            midnight = hour.hour == 0
            if midnight or hour.hour % every == 0:
                pygame.draw.line(bg, FG if midnight else MUTED, (x, track.y), (x, track.bottom), 1)
                text = hour.strftime("%a") if midnight else hour.strftime("%H")
                label = self.text.render(text, 10, FG if midnight else MUTED)
                bg.blit(label, (x - label.get_width() // 2, track.bottom + 2))
            hour += dt.timedelta(hours=1)
        return bg


@dataclass
class Notice:
    """A short message over the map's lower left corner, gone after a few seconds."""

    message: str = ""
    until: float = 0.0
    warning: bool = False

    def show(self, message: str, now: float, seconds: float = 4.0, warning: bool = False) -> None:
        self.message, self.until, self.warning = message, now + seconds, warning

    def draw(self, surface: pygame.Surface, text: Text, at: tuple[int, int], now: float) -> None:
        if not self.message or now > self.until:
            return
        label = text.render(text.clip(self.message, 13, 700), 13, WARN if self.warning else FG)
        box = label.get_rect(bottomleft=at).inflate(16, 10)
        box.bottomleft = at
        back = pygame.Surface(box.size, pygame.SRCALPHA)
        pygame.draw.rect(back, (20, 22, 30, 220), back.get_rect(), border_radius=6)
        surface.blit(back, box.topleft)
        surface.blit(label, label.get_rect(center=box.center))
